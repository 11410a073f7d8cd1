// YAML (a superset of JSON) read as JSON, for every file a user gives mljob: job specs, study
// specs, the tier catalog's neighbours. Bad YAML is an InputError naming the file.
#pragma once

#include <set>
#include <string>

#include <nlohmann/json.hpp>

namespace mljob {

// Plain scalars become numbers or booleans where they read as such, quoted scalars stay
// strings. `string_items`: dotted paths ("trainingInput.args", "labels") of lists and maps whose
// items are strings by definition and stay as written ("0x10" is not 16).
nlohmann::json yaml_text_to_json(const std::string& text, const std::string& source_name,
                                 const std::set<std::string>& string_items = {});
// The same with every mapping's keys in the order the document gives them.
nlohmann::ordered_json yaml_text_to_ordered_json(const std::string& text, const std::string& source_name);

}  // namespace mljob
