package exec

import (
	"fmt"

	"github.com/streamsql/streamsql/exec/vec"
	"github.com/streamsql/streamsql/parser/sqlerr"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/planner/types"
)

// kernel computes a builtin over the n rows of a batch into out, which
// has the call's type and n rows. A strict builtin's out already has the
// NULL mask of its arguments: the kernel computes the other rows (it may
// write any value into a NULL row, but must not report one's error). A
// row whose value fails is set NULL and reported with ctx.report.
type kernel func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx)

// kernelMaker builds a kernel for one call, given its constant arguments
// (nil where an argument is not constant), so that a constant pattern or
// format compiles once per plan.
type kernelMaker func(consts []*planner.Const) kernel

// kernels are the builtins' bodies by planner.Builtin.Name; each family's
// file registers its own from init.
var kernels = map[string]kernelMaker{}

// registerKernel gives the builtin name its body.
func registerKernel(name string, mk kernelMaker) {
	if _, dup := kernels[name]; dup {
		panic("exec: kernel " + name + " registered twice")
	}
	kernels[name] = mk
}

// fixed is the kernelMaker of a kernel that needs no constants.
func fixed(k kernel) kernelMaker { return func([]*planner.Const) kernel { return k } }

// builtinKernel builds the kernel of a builtin call.
func builtinKernel(e *planner.Call) kernel {
	mk := kernels[e.B.Name]
	if mk == nil {
		panic(fmt.Sprintf("exec: builtin %s has no kernel", e.B.Name))
	}
	consts := make([]*planner.Const, len(e.Args))
	for i, a := range e.Args {
		if c, ok := a.(*planner.Const); ok && c.Param == 0 {
			consts[i] = c
		}
	}
	return mk(consts)
}

func init() {
	registerKernel("?regtype_names?", fixed(func(out *vec.Vec, args []*vec.Vec, n int, ctx *evalCtx) {
		oids, names := vec.New(types.Int, 0), vec.New(types.Varchar, 0)
		var buf []byte
		for i := 0; i < n; i++ {
			if args[0].IsNull(i) {
				continue
			}
			oids.Reset()
			names.Reset()
			if err := vec.DecodeArray(args[0].Str[i], &oids); err != nil {
				out.SetNull(i)
				continue
			}
			for k := 0; k < oids.Len(); k++ {
				if oids.IsNull(k) {
					names.AppendNull()
				} else {
					names.AppendStr(planner.RegtypeName(oids.I64[k]))
				}
			}
			buf = vec.EncodeArray(buf[:0], &names)
			out.Str[i] = string(buf)
		}
	}))
	registerKernel("?too_many_rows?", fixed(func(out *vec.Vec, _ []*vec.Vec, n int, ctx *evalCtx) {
		for i := 0; i < n; i++ {
			out.SetNull(i)
			ctx.report(i, func() *sqlerr.Error {
				return sqlerr.New(sqlerr.CardinalityViolation, "more than one row returned by a subquery used as an expression")
			})
		}
	}))
}
