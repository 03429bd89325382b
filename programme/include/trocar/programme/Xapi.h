#pragma once
// Attempts as xAPI statements (IEEE 9274.1.1-2023, xAPI 2.0), for a learning management
// system: one statement per attempt.
//   actor    the trainee as an account {homePage, name: the pseudonymous id}; a name or mbox
//            only where the installation maps the id to one (XapiSettings::actors)
//   verb     passed / failed (the checklist was completed) or attempted (it was not)
//   object   the scenario, an activity <activityBase><scenario id>
//   result   score (raw, and scaled = score / 100 within [-1, 1]), success, completion, duration
//   context  the curriculum as a grouping activity, the platform, and the attempt number,
//            recording digest and scenario version as extensions
// The statement id is a UUID derived from the recording's digest (or the attempt's fields), so
// exporting again gives the same ids and an LRS keeps one statement per attempt.

#include <trocar/programme/History.h>

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace trocar::programme {

struct XapiActor {
  std::string name;  // shown by the LRS
  std::string mbox;  // "mailto:..."
};

struct XapiSettings {
  std::string homePage = "https://trocar.invalid/trainees";  // the accounts' system
  std::string activityBase = "https://trocar.invalid/";      // + "scenarios/<id>", "curricula/<id>"
  std::map<std::string, XapiActor> actors;  // pseudonymous id -> a person; empty: no names leave
};

nlohmann::json xapiStatement(const Attempt& attempt, const XapiSettings& settings);
// The statement's problems against the specification's requirements (empty when valid): an
// actor with exactly one identifier, IRIs for the verb and object, a UUID id, a score within
// its bounds, ISO 8601 duration and timestamp, language maps.
std::vector<std::string> validateXapiStatement(const nlohmann::json& statement);

}  // namespace trocar::programme
