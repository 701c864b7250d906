// The TableSink class for JavaScript (table_sink_js.cc).
#pragma once

#include <napi.h>

namespace flightrec_addon {

Napi::Function DefineTableSink(Napi::Env env);

}  // namespace flightrec_addon
