// Package datagen is the built-in generator source: typed random rows,
// deterministic from a seed, so a user can watch a view fill without a
// Kafka and tests can replay the same stream.
//
// Options (CREATE SOURCE ... WITH (...)):
//
//	connector = 'datagen'
//	rows_per_second = N   pace of generation (default 10; 0 = as fast as possible)
//	seed = N              random seed (default 1)
//	max_rows = N          stop after N rows (default: never)
//	start_time = 'ts'     event time of the first row (default 2024-01-01 00:00:00)
//	partitions = N        split the rows over N partitions (default 1)
//	fields.<col>.kind = 'sequence' | 'random'
//	fields.<col>.min / .max      range of numbers (default 0 / 1000)
//	fields.<col>.length          length of random strings (default 8)
//
// TIMESTAMP columns carry event time: row n is stamped start_time + n/rate
// seconds (1 ms apart when unpaced), so event time advances by the data,
// never by the wall clock. Each row's random values are drawn from a
// generator seeded with (seed, n), so a source restored at position n
// produces exactly the rows it would have produced without the restart.
//
// With partitions = N, row n belongs to partition n mod N, and the source
// is read as a Kafka topic is: a chunk from one partition, then a chunk
// from the next. Rows of one partition thus arrive behind rows of another
// with later event times, and only a watermark kept per partition (the
// minimum over them) judges them on time. When max_rows is not a multiple
// of N, the last partitions get fewer rows; with max_rows < N some get
// none, as an empty Kafka partition.
package datagen

import (
	"github.com/streamsql/streamsql/connectors/turns"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
)

// Generator produces a source's rows.
type Generator struct {
	cols   []catalog.Column
	fields []field
	seed   uint64
	pcg    *rand.PCG
	rng    *rand.Rand
	// Rate is rows per second (0: unpaced).
	Rate  int64
	start int64
	step  int64
	// The cursor counts the rows each partition has generated; MaxRows is
	// 0 for unbounded.
	turns.Cursor
}

type field struct {
	sequence bool
	min, max int64
	length   int
}

// New validates a datagen source's options and returns its generator.
func New(rel *catalog.Relation) (*Generator, error) {
	g := &Generator{cols: rel.Columns, Rate: 10}
	seed, parts := int64(1), int64(1)
	g.start = 1704067200 * 1e6 // 2024-01-01 00:00:00
	g.fields = make([]field, len(rel.Columns))
	for i := range g.fields {
		g.fields[i] = field{min: 0, max: 1000, length: 8}
	}
	for k, v := range rel.Options {
		var err error
		switch {
		case k == "connector":
		case k == "rows_per_second" || k == "rate":
			g.Rate, err = nonNegative(k, v)
		case k == "seed":
			seed, err = strconv.ParseInt(v, 10, 64)
		case k == "max_rows":
			g.MaxRows, err = nonNegative(k, v)
		case k == "partitions":
			if parts, err = nonNegative(k, v); err == nil && (parts < 1 || parts > 1024) {
				return nil, sqlerr.New(sqlerr.InvalidParameter, "datagen option partitions must be between 1 and 1024")
			}
		case k == "start_time":
			var ok bool
			if g.start, ok = vec.ParseTimestamp(v); !ok {
				return nil, sqlerr.New(sqlerr.InvalidParameter, "datagen option start_time: %q is not a timestamp", v)
			}
		case strings.HasPrefix(k, "fields."):
			err = g.fieldOption(rel, k, v)
		default:
			return nil, sqlerr.New(sqlerr.InvalidParameter, "unknown datagen option %q", k)
		}
		if err != nil {
			if _, ok := sqlerr.As(err); ok {
				return nil, err
			}
			return nil, sqlerr.New(sqlerr.InvalidParameter, "datagen option %s = %q: %v", k, v, err)
		}
	}
	for i, f := range g.fields {
		if f.min > f.max {
			name := rel.Columns[i].Name
			return nil, sqlerr.New(sqlerr.InvalidParameter, "datagen option fields.%s.min (%d) is above fields.%s.max (%d)", name, f.min, name, f.max)
		}
	}
	g.step = 1000
	if g.Rate > 0 {
		g.step = max(1e6/g.Rate, 1)
	}
	g.Parts = make([]int64, parts)
	g.seed = uint64(seed)
	g.pcg = rand.NewPCG(g.seed, 0)
	g.rng = rand.New(g.pcg)
	return g, nil
}

func nonNegative(k, v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err == nil && n < 0 {
		return 0, sqlerr.New(sqlerr.InvalidParameter, "datagen option %s must not be negative", k)
	}
	return n, err
}

func (g *Generator) fieldOption(rel *catalog.Relation, k, v string) error {
	parts := strings.Split(k, ".")
	if len(parts) != 3 {
		return sqlerr.New(sqlerr.InvalidParameter, "datagen option %q: want fields.<column>.<setting>", k)
	}
	i := rel.ColumnIndex(parts[1])
	if i < 0 {
		return sqlerr.New(sqlerr.UndefinedColumn, "datagen option %q names no column of %s", k, rel.Name)
	}
	f := &g.fields[i]
	var err error
	switch parts[2] {
	case "kind":
		switch v {
		case "sequence":
			f.sequence = true
		case "random":
		default:
			return sqlerr.New(sqlerr.InvalidParameter, "datagen option %q must be 'sequence' or 'random'", k)
		}
	case "min":
		f.min, err = strconv.ParseInt(v, 10, 64)
	case "max":
		f.max, err = strconv.ParseInt(v, 10, 64)
	case "length":
		f.length, err = strconv.Atoi(v)
	default:
		return sqlerr.New(sqlerr.InvalidParameter, "unknown datagen field setting %q", parts[2])
	}
	return err
}

const letters = "abcdefghijklmnopqrstuvwxyz"

// Fill appends up to n rows of partition p to b (fewer when its share of
// MaxRows runs out) and returns how many.
func (g *Generator) Fill(b *vec.Batch, p, n int) int {
	n = g.Take(p, n)
	stride := int64(len(g.Parts))
	for r := 0; r < n; r++ {
		pos := int64(p) + g.Parts[p]*stride
		g.pcg.Seed(g.seed, uint64(pos))
		for c, col := range g.cols {
			f := &g.fields[c]
			v := &b.Cols[c]
			span := max(f.max-f.min+1, 1)
			switch col.Type.Kind {
			case types.Timestamp:
				v.AppendI64(g.start + pos*g.step)
			case types.Bool:
				v.AppendBool(g.rng.IntN(2) == 1)
			case types.Float64:
				v.AppendF64(float64(f.min) + g.rng.Float64()*float64(span-1))
			case types.String:
				var s strings.Builder
				for range f.length {
					s.WriteByte(letters[g.rng.IntN(len(letters))])
				}
				v.AppendStr(s.String())
			case types.Decimal:
				v.AppendI64((f.min + g.rng.Int64N(span)) * types.Pow10[col.Type.Scale])
			case types.Numeric:
				v.AppendNumericCompact(f.min+g.rng.Int64N(span), 0)
			default:
				x := f.min + g.rng.Int64N(span)
				if f.sequence {
					x = f.min + pos
				}
				v.AppendI64(x)
			}
		}
		b.EndRow(1)
		g.Parts[p]++
	}
	return max(n, 0)
}

// PerSecond is the pace in rows per second, 0 for as fast as possible.
func (g *Generator) PerSecond() int64 { return g.Rate }
