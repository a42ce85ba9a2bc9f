package exec

import (
	"strconv"
	"testing"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/types"
)

// numericBatch is a 1024-row NUMERIC column of values with 2 to 30 digits.
func numericBatch() *vec.Vec {
	v := vec.New(types.Unconstrained, 1024)
	for i := 0; i < 1024; i++ {
		s := strconv.Itoa(i*7919+1) + "." + strconv.Itoa(i%100)
		if i%4 == 0 {
			s = "123456789012345678901234567" + s
		}
		v.AppendStr(s)
	}
	return &v
}

// BenchmarkNumericArith is NUMERIC a*b over 1024-row batches.
func BenchmarkNumericArith(b *testing.B) {
	x := numericBatch()
	out := vec.New(types.Unconstrained, 1024)
	out.Str = make([]string, 1024)
	b.ReportAllocs()
	for b.Loop() {
		numericArith(planner.FnMul, &out, x, x, 1024, &evalCtx{})
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1024, "ns/row")
}

// BenchmarkNumericSum is SUM(NUMERIC)'s fold over 1024-row batches.
func BenchmarkNumericSum(b *testing.B) {
	x := numericBatch()
	b.ReportAllocs()
	for b.Loop() {
		var v aggVal
		for r := 0; r < 1024; r++ {
			foldVal(planner.AggSum, &v, x, r, 1)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1024, "ns/row")
}
