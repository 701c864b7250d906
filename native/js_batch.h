// A batch as JavaScript producers give it (apache-arrow's VectorAssembler, flattened in
// src/format/table-sink.ts): field nodes as (length, null count) pairs in a Float64Array, and
// the body buffers as typed arrays. Read here once for every N-API class that takes one; and
// a file's ts as the manifest has it, for those that give one back.
#pragma once

#include <napi.h>

#include <optional>
#include <string>
#include <vector>

#include "ipc_message.h"

namespace flightrec_addon {

inline std::vector<flightrec::FieldNode> FieldNodes(Napi::Float64Array n) {
  std::vector<flightrec::FieldNode> nodes(n.ElementLength() / 2);
  for (size_t i = 0; i < nodes.size(); i++) nodes[i] = {static_cast<int64_t>(n[2 * i]), static_cast<int64_t>(n[2 * i + 1])};
  return nodes;
}

// The typed arrays' own bytes (not copied: valid while the arrays are). Each array's own data
// pointer is taken: its buffer may be a SharedArrayBuffer (batches read through the inflate
// pool), which napi_get_arraybuffer_info refuses.
inline std::vector<flightrec::BodyPart> BodyParts(Napi::Env env, Napi::Array a, const char* who) {
  std::vector<flightrec::BodyPart> parts(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) {
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    if (napi_get_typedarray_info(env, a.Get(i), &type, &length, &data, nullptr, nullptr) != napi_ok) {
      throw Napi::TypeError::New(env, std::string(who) + ": part " + std::to_string(i) + " is not a typed array");
    }
    size_t element = 1;
    switch (type) {
      case napi_int16_array: case napi_uint16_array: element = 2; break;
      case napi_int32_array: case napi_uint32_array: case napi_float32_array: element = 4; break;
      case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: element = 8; break;
      default: break;
    }
    parts[i] = {static_cast<const uint8_t*>(data), length * element};
  }
  return parts;
}

// A ts as the manifest has it: decimal text, or null for none.
inline Napi::Value TsText(Napi::Env env, const std::optional<uint64_t>& ts) {
  return ts ? Napi::String::New(env, std::to_string(*ts)) : env.Null();
}

}  // namespace flightrec_addon
