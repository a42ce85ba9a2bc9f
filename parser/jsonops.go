package parser

import "github.com/streamsql/streamsql/parser/sqlerr"

// JSONOpFuncs are the functions PostgreSQL's JSON operators, which TiDB
// cannot parse, are rewritten to: x -> y is JSONOpFuncs["->"](x, y). The
// planner names them by their operators in its messages (JSONOperator).
var JSONOpFuncs = map[string]string{
	"->": "streamsql_json_get", "->>": "streamsql_json_get_text",
	"#>": "streamsql_json_path", "#>>": "streamsql_json_path_text",
	"@>": "streamsql_json_contains", "<@": "streamsql_json_contained",
	"?": "streamsql_json_exists", "?|": "streamsql_json_exists_any", "?&": "streamsql_json_exists_all",
}

// JSONOperator is the operator a JSONOpFuncs function stands for, or "".
func JSONOperator(fn string) string {
	for op, f := range JSONOpFuncs {
		if f == fn {
			return op
		}
	}
	return ""
}

// jsonOperator returns the JSON operator whose first token is toks[i] and
// how many tokens it spans (0 when there is none). Its tokens must touch:
// a - > b is no operator.
func jsonOperator(toks []token, i int) (string, int) {
	t := toks[i]
	touch := func(k int, text string) bool {
		return i+k < len(toks) && toks[i+k].is(text) && toks[i+k].pos == toks[i+k-1].end
	}
	switch {
	case t.is("-") || t.is("#"):
		if touch(1, ">>") {
			return t.text + ">>", 2
		}
		if touch(1, ">") {
			return t.text + ">", 2
		}
	case t.is("@") && touch(1, ">"):
		return "@>", 2
	case t.is("<") && touch(1, "@"):
		return "<@", 2
	case t.is("?"):
		if touch(1, "|") {
			return "?|", 2
		}
		if touch(1, "&") {
			return "?&", 2
		}
		return "?", 1
	}
	return "", 0
}

// jsonOp rewrites the JSON operator op at toks[i] (n tokens), whose left
// operand starts at toks[start], into its function. It returns the index
// of the last token it rewrote.
func (r *rewriter) jsonOp(toks []token, i, n, start int, op string, match map[int]int, edits *[]edit) (int, error) {
	operand := i + n
	end := regexOperand(toks, operand, match)
	if end == operand && operand+1 < len(toks) && (toks[operand].is("-") || toks[operand].is("+")) && toks[operand+1].kind == tNumber {
		end = regexOperand(toks, operand+1, match) // j -> -1
	}
	if end == operand {
		return 0, sqlerr.At(sqlerr.Syntax, r.base+toks[min(operand, len(toks)-1)].pos+1, "syntax error: the operator %s needs a right operand", op)
	}
	sub := &rewriter{src: r.src, base: r.base}
	if err := sub.rewriteTokens(toks, operand, end); err != nil {
		return 0, err
	}
	insertBefore(edits, ed(toks[start].pos, toks[start].pos, JSONOpFuncs[op]+"("))
	*edits = append(*edits, edit{from: toks[i].pos, to: toks[end-1].end, text: ", ", sub: &subEdit{sub, ")"}})
	return end - 1, nil
}

// jsonOpAt reports whether a JSON operator with a left operand starts at
// toks[i].
func jsonOpAt(toks []token, i int, match map[int]int) bool {
	if op, _ := jsonOperator(toks, i); op == "" {
		return false
	}
	return castOperand(toks, i, match) >= 0
}
