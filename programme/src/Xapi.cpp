// xAPI statements of attempts, and their check against the specification (Xapi.h).

#include <trocar/programme/Xapi.h>

#include <xxhash.h>

#include <cmath>
#include <cstdio>
#include <regex>

namespace trocar::programme {

namespace {

constexpr const char* kVerbBase = "http://adlnet.gov/expapi/verbs/";

// A version-8 (RFC 9562, custom) UUID from 128 bits of XXH3 over `key`.
std::string uuidFrom(const std::string& key) {
  const XXH128_hash_t h = XXH3_128bits(key.data(), key.size());
  uint8_t b[16];
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<uint8_t>(h.high64 >> (56 - 8 * i));
    b[8 + i] = static_cast<uint8_t>(h.low64 >> (56 - 8 * i));
  }
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x80);  // version 8
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // variant 10
  char text[40];
  std::snprintf(text, sizeof(text), "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return text;
}

std::string duration(double seconds) {
  char text[40];
  std::snprintf(text, sizeof(text), "PT%.2fS", std::max(0.0, seconds));
  return text;
}

bool isIri(const nlohmann::json& v) {
  static const std::regex iri(R"(^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+$)");
  return v.is_string() && std::regex_match(v.get<std::string>(), iri);
}

bool isLanguageMap(const nlohmann::json& v) {
  static const std::regex tag(R"(^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$)");
  if (!v.is_object() || v.empty()) return false;
  for (auto it = v.begin(); it != v.end(); ++it)
    if (!std::regex_match(it.key(), tag) || !it.value().is_string()) return false;
  return true;
}

}  // namespace

nlohmann::json xapiStatement(const Attempt& a, const XapiSettings& settings) {
  nlohmann::json actor{{"objectType", "Agent"}};
  if (auto mapped = settings.actors.find(a.trainee); mapped != settings.actors.end()) {
    if (!mapped->second.name.empty()) actor["name"] = mapped->second.name;
    if (!mapped->second.mbox.empty())
      actor["mbox"] = mapped->second.mbox;
    else
      actor["account"] = {{"homePage", settings.homePage}, {"name", a.trainee}};
  } else {
    actor["account"] = {{"homePage", settings.homePage}, {"name", a.trainee}};
  }
  const char* verb = !a.completed ? "attempted" : a.passed ? "passed" : "failed";
  const std::string title = a.scenarioTitle.empty() ? a.scenario : a.scenarioTitle;
  nlohmann::json result{{"score", {{"raw", a.score}, {"scaled", std::clamp(a.score / 100.0, -1.0, 1.0)}}},
                        {"completion", a.completed},
                        {"duration", duration(a.durationS)}};
  if (a.completed) result["success"] = a.passed;
  const std::string ext = settings.activityBase + "xapi/";
  nlohmann::json context{{"platform", "Trocar"},
                         {"extensions",
                          {{ext + "attempt", a.number},
                           {ext + "scenario-version", a.contentHash},
                           {ext + "recording-digest", a.recordingDigest},
                           {ext + "build", a.scoredWith}}}};
  if (!a.curriculum.empty())
    context["contextActivities"] = {
        {"grouping", nlohmann::json::array({{{"objectType", "Activity"},
                                             {"id", settings.activityBase + "curricula/" + a.curriculum},
                                             {"definition", {{"name", {{"en-US", a.curriculum}}}}}}})}};
  const std::string key = a.recordingDigest.empty() ? a.trainee + "\n" + a.scenario + "\n" + a.startedAt +
                                                          "\n" + std::to_string(a.id)
                                                    : a.recordingDigest;
  return nlohmann::json{
      {"id", uuidFrom(key)},
      {"actor", actor},
      {"verb", {{"id", std::string(kVerbBase) + verb}, {"display", {{"en-US", verb}}}}},
      {"object",
       {{"objectType", "Activity"},
        {"id", settings.activityBase + "scenarios/" + a.scenario},
        {"definition",
         {{"name", {{"en-US", title}}}, {"type", "http://adlnet.gov/expapi/activities/simulation"}}}}},
      {"result", result},
      {"context", context},
      {"timestamp", a.startedAt},
      {"version", "2.0.0"}};
}

std::vector<std::string> validateXapiStatement(const nlohmann::json& s) {
  std::vector<std::string> problems;
  auto need = [&](bool ok, const std::string& what) {
    if (!ok) problems.push_back(what);
  };
  static const std::regex uuid(
      R"(^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$)");
  static const std::regex iso8601(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$)");
  static const std::regex isoDuration(
      R"(^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$)");
  need(s.is_object(), "a statement is a JSON object");
  if (!s.is_object()) return problems;
  if (s.contains("id"))
    need(s["id"].is_string() && std::regex_match(s["id"].get<std::string>(), uuid), "id is not a UUID");
  // Actor: an Agent with exactly one inverse functional identifier.
  if (!s.contains("actor") || !s["actor"].is_object()) {
    problems.emplace_back("actor is missing");
  } else {
    const auto& actor = s["actor"];
    int ifis = 0;
    for (const char* k : {"mbox", "mbox_sha1sum", "openid", "account"}) ifis += actor.contains(k) ? 1 : 0;
    need(ifis == 1, "actor has " + std::to_string(ifis) + " identifiers; exactly one is required");
    if (actor.contains("objectType"))
      need(actor["objectType"] == "Agent" || actor["objectType"] == "Group", "actor objectType");
    if (actor.contains("mbox"))
      need(actor["mbox"].is_string() && actor["mbox"].get<std::string>().rfind("mailto:", 0) == 0,
           "actor mbox is not a mailto: IRI");
    if (actor.contains("account")) {
      const auto& acc = actor["account"];
      need(acc.is_object() && isIri(acc.value("homePage", nlohmann::json())),
           "actor account homePage is not an IRL");
      need(acc.is_object() && acc.contains("name") && acc["name"].is_string() &&
               !acc["name"].get<std::string>().empty(),
           "actor account has no name");
    }
  }
  if (!s.contains("verb") || !s["verb"].is_object()) {
    problems.emplace_back("verb is missing");
  } else {
    need(isIri(s["verb"].value("id", nlohmann::json())), "verb id is not an IRI");
    if (s["verb"].contains("display"))
      need(isLanguageMap(s["verb"]["display"]), "verb display is not a language map");
  }
  if (!s.contains("object") || !s["object"].is_object()) {
    problems.emplace_back("object is missing");
  } else {
    const auto& o = s["object"];
    need(!o.contains("objectType") || o["objectType"] == "Activity", "object objectType");
    need(isIri(o.value("id", nlohmann::json())), "object id is not an IRI");
    if (o.contains("definition") && o["definition"].contains("name"))
      need(isLanguageMap(o["definition"]["name"]), "object definition name is not a language map");
    if (o.contains("definition") && o["definition"].contains("type"))
      need(isIri(o["definition"]["type"]), "object definition type is not an IRI");
  }
  if (s.contains("result")) {
    const auto& r = s["result"];
    if (r.contains("score")) {
      const auto& sc = r["score"];
      if (sc.contains("scaled"))
        need(sc["scaled"].is_number() && sc["scaled"].get<double>() >= -1.0 &&
                 sc["scaled"].get<double>() <= 1.0,
             "result score scaled is outside [-1, 1]");
      if (sc.contains("raw") && sc.contains("min"))
        need(sc["raw"].get<double>() >= sc["min"].get<double>(), "raw below min");
      if (sc.contains("raw") && sc.contains("max"))
        need(sc["raw"].get<double>() <= sc["max"].get<double>(), "raw above max");
    }
    if (r.contains("success")) need(r["success"].is_boolean(), "result success is not true/false");
    if (r.contains("completion")) need(r["completion"].is_boolean(), "result completion is not true/false");
    if (r.contains("duration"))
      need(r["duration"].is_string() && std::regex_match(r["duration"].get<std::string>(), isoDuration),
           "result duration is not an ISO 8601 duration");
  }
  if (s.contains("context") && s["context"].contains("extensions")) {
    for (auto it = s["context"]["extensions"].begin(); it != s["context"]["extensions"].end(); ++it)
      need(isIri(nlohmann::json(it.key())), "context extension key '" + it.key() + "' is not an IRI");
  }
  if (s.contains("timestamp"))
    need(s["timestamp"].is_string() && std::regex_match(s["timestamp"].get<std::string>(), iso8601),
         "timestamp is not ISO 8601");
  return problems;
}

}  // namespace trocar::programme
