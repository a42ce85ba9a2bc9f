package exec

import (
	"fmt"
	"testing"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// udfCat is a catalog of one table and the SQL functions created in it.
type udfCat struct {
	rel *catalog.Relation
	fns []*catalog.Function
}

func (c *udfCat) Relation(name string) (*catalog.Relation, bool) { return c.rel, name == c.rel.Name }
func (c *udfCat) AllFunctions() []*catalog.Function              { return c.fns }
func (c *udfCat) Functions(name string) []*catalog.Function {
	var out []*catalog.Function
	for _, f := range c.fns {
		if f.Name == name {
			out = append(out, f)
		}
	}
	return out
}

// BenchmarkSQLFunction evaluates Nexmark q14's count_char(url, '/'), a
// SQL function the planner inlines, over 1024-row batches of bid URLs:
// it costs what its body written out does.
func BenchmarkSQLFunction(b *testing.B) {
	cat := &udfCat{rel: &catalog.Relation{Name: "bid", Columns: []catalog.Column{{Name: "url", Type: types.Varchar}}, EventTime: -1}}
	for _, sql := range []string{
		"CREATE FUNCTION count_char(s VARCHAR, c VARCHAR) RETURNS INT LANGUAGE SQL AS $$ SELECT (length(s) - length(replace(s, c, ''))) / length(c) $$",
	} {
		st, err := parser.ParseOne(sql)
		if err != nil {
			b.Fatal(err)
		}
		f, err := (&planner.Planner{Cat: cat}).Function(st.(*parser.CreateFunction))
		if err != nil {
			b.Fatal(err)
		}
		f.ID = uint64(len(cat.fns) + 1)
		cat.fns = append(cat.fns, f)
	}
	st, err := parser.ParseOne("SELECT count_char(url, '/') FROM bid")
	if err != nil {
		b.Fatal(err)
	}
	plan, err := (&planner.Planner{Cat: cat}).Query(st.(*parser.Select).Query, planner.AdHoc, false)
	if err != nil {
		b.Fatal(err)
	}
	e := plan.(*planner.Project).Exprs[0]
	in := vec.NewBatch([]types.T{types.Varchar}, 1024)
	for i := 0; i < 1024; i++ {
		in.Cols[0].AppendStr(fmt.Sprintf("https://www.nexmark.com/item/%d/bid/%d.html?channel=%d", i%97, i, i%7))
		in.EndRow(1)
	}
	ev := Compile(e, nil)
	if got := ev.Eval(in); got.I64[0] != 6 {
		b.Fatalf("count_char of %q = %d, want 6", in.Cols[0].Str[0], got.I64[0])
	}
	b.ReportAllocs()
	for b.Loop() {
		ev.Eval(in)
	}
	b.ReportMetric(float64(b.N)*1024/b.Elapsed().Seconds(), "rows/s")
}
