package parser

import (
	"strings"

	"github.com/streamsql/streamsql/parser/sqlerr"
)

// explainAnalyze reads what follows EXPLAIN when it is ANALYZE of a
// running view: RisingWave's `EXPLAIN ANALYZE [MATERIALIZED VIEW] name`,
// or PostgreSQL's option list `EXPLAIN (ANALYZE[, TIMING OFF]) ...`
// (TIMING OFF leaves the times out, for output that repeats). ok is false
// when the statement is a plain EXPLAIN.
func (p *parser) explainAnalyze(c *cursor) (st *Explain, ok bool, err error) {
	ex := &Explain{Analyze: true, Timing: true}
	switch {
	case c.accept("analyze"), c.accept("analyse"):
	case c.peekIs("(") && c.i+1 < len(c.s.toks) && (c.s.toks[c.i+1].is("analyze") || c.s.toks[c.i+1].is("analyse")):
		elems, err := c.group()
		if err != nil {
			return nil, true, err
		}
		for _, e := range elems {
			o := &cursor{s: span{text: c.s.text, off: c.s.off, toks: c.s.toks[e[0]:e[1]]}}
			name := o.next()
			on := true
			if !o.atEnd() {
				v := o.next()
				switch strings.ToLower(v.text) {
				case "on", "true", "1":
				case "off", "false", "0":
					on = false
				default:
					return nil, true, sqlerr.At(sqlerr.Syntax, o.pos(v), "syntax error at or near %q: expected ON or OFF", v.text)
				}
				if err := o.end(); err != nil {
					return nil, true, err
				}
			}
			switch {
			case name.is("analyze"), name.is("analyse"):
				if !on {
					return nil, true, sqlerr.At(sqlerr.FeatureNotSupported, o.pos(name), "EXPLAIN (ANALYZE OFF) is not supported: leave the options out")
				}
			case name.is("timing"):
				ex.Timing = on
			default:
				return nil, true, sqlerr.At(sqlerr.FeatureNotSupported, o.pos(name), "EXPLAIN option %q is not supported (ANALYZE and TIMING are)", name.text)
			}
		}
	default:
		return nil, false, nil
	}
	c.accept("materialized", "view")
	if ex.Name, ex.Pos, err = c.ident("a materialized view's name after EXPLAIN ANALYZE"); err != nil {
		return nil, true, err
	}
	return ex, true, c.end()
}
