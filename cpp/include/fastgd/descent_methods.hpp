#pragma once
/// How minimize's one loop (minimize.hpp) makes a step: a *method* moves (x, f, g) to
/// the next iterate, calling the loop's counted objective as often as it needs. The
/// loop records, applies the stopping rules and the optimality test, polls Ctrl-C.
///
/// A method's step(fg, x, f, g) returns step_outcome::moved (x, f, g hold the new
/// iterate, or the objective asked to stop: fg.stopped()) or step_outcome::failed
/// (no acceptable step: x, f, g unchanged). fg(x, g) returns f(x) and writes g(x);
/// fg.box() is the box (P = its projection); fg.stopped() the objective's stop flag.
///
/// One file per method:
/// - first_order_method.hpp, lbfgs_method.hpp, cg_method.hpp, bfgs_method.hpp;
/// method_common.hpp holds what they share.

#include "fastgd/bfgs_method.hpp"
#include "fastgd/cg_method.hpp"
#include "fastgd/first_order_method.hpp"
#include "fastgd/lbfgs_method.hpp"
#include "fastgd/method_common.hpp"
