// The Writer class for JavaScript (writer_js.cc), and the native writer behind one of its objects.
#pragma once

#include <napi.h>

#include "writer.h"

namespace flightrec_addon {

Napi::Function DefineWriter(Napi::Env env);
// The writer of a JavaScript Writer object (which must outlive its use).
flightrec::Writer* UnwrapWriter(Napi::Object o);

}  // namespace flightrec_addon
