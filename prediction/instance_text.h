// A record as the JSON text of one instance, as the model is sent it (one element of the
// request's "instances"), following AI Platform's batch prediction for each input format.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/prediction_input.h"

namespace mljob::prediction {

// The instance `record` stands for, as JSON text; std::nullopt with *error (when error is not
// null) set to why, for a record that cannot be one.
// - JSON: the line itself, when it is valid JSON (nlohmann::json::accept).
// - TEXT: the line as a JSON string. A line that is not valid UTF-8 is an error (JSON text
//   cannot carry it, and changing it would send the model something the file does not say).
// - CSV: a JSON array of the row's fields (RFC 4180 quoting within the line: "" inside quotes
//   is a quote; an unterminated quote, or text after a closing quote, is an error). An unquoted
//   field that is wholly a decimal number (strtod's syntax, no spaces, not hex, inf or nan)
//   becomes a number: an integer when it is one that fits 64 bits, else a double (a double out
//   of range stays a string). Every other field, and every quoted one, is a string: quoting is
//   how a CSV writer says "this is text" ("007" in quotes keeps its zeros).
// - TF_RECORD, TF_RECORD_GZIP: the payload when it is valid UTF-8 JSON, else
//   {"b64": "<base64 of the bytes>"}, AI Platform's convention for binary data.
std::optional<std::string> instance_json(std::string_view record, DataFormat format, std::string* error);

}  // namespace mljob::prediction
