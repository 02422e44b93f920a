// The one TU that compiles the X3 definitions in separate-compilation mode.
#include <callinfo/src.hpp>
