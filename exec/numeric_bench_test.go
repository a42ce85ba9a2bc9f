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
	resize(&out, 1024)
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

// q1Batch is Nexmark q1's operands: the DECIMAL(3,3) 0.908 and a price.
func q1Batch() (*vec.Vec, *vec.Vec) {
	k := vec.New(types.DecimalOf(3, 3), 1024)
	p := vec.New(types.BigInt, 1024)
	for i := 0; i < 1024; i++ {
		k.AppendI64(908)
		p.AppendI64(int64(i*7919%10_000_000 + 1))
	}
	return &k, &p
}

// BenchmarkNumericQ1 is q1's 0.908 * price over 1024-row batches, and
// with /encode the plain row encoding a view stores the result in.
func BenchmarkNumericQ1(b *testing.B) {
	k, p := q1Batch()
	for _, encode := range []bool{false, true} {
		name := "arith"
		if encode {
			name = "encode"
		}
		b.Run(name, func(b *testing.B) {
			out := vec.New(types.Unconstrained, 1024)
			resize(&out, 1024)
			cols := []vec.Vec{{}}
			var buf []byte
			b.ReportAllocs()
			for b.Loop() {
				numericArith(planner.FnMul, &out, k, p, 1024, &evalCtx{})
				if encode {
					cols[0] = out
					buf = buf[:0]
					for r := 0; r < 1024; r++ {
						buf = appendPlainRow(buf, cols, r)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1024, "ns/row")
			b.ReportMetric(float64(testing.AllocsPerRun(10, func() {
				numericArith(planner.FnMul, &out, k, p, 1024, &evalCtx{})
			}))/1024, "allocs/row")
		})
	}
}
