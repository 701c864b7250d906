// flightrec::Error (error.h) as a JavaScript error, in one place for every N-API file: the
// message, `errno` and `code` (the errno's name, as Node's own errors have it: 'ENOSPC').
#pragma once

#include <napi.h>
#include <string.h>

#include "error.h"

namespace flightrec_addon {

[[noreturn]] inline void rethrow(Napi::Env env, const flightrec::Error& err) {
  Napi::Error e = Napi::Error::New(env, err.what());
  if (err.errno_value()) {
    e.Set("errno", Napi::Number::New(env, err.errno_value()));
    if (const char* name = strerrorname_np(err.errno_value())) e.Set("code", Napi::String::New(env, name));
  }
  throw e;
}

// Runs `f`, turning a flightrec::Error into a JavaScript error.
template <class F>
auto guarded(Napi::Env env, F f) -> decltype(f()) {
  try {
    return f();
  } catch (const flightrec::Error& err) {
    rethrow(env, err);
  }
}

}  // namespace flightrec_addon
