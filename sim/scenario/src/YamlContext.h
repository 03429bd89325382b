#pragma once
// Reading YAML with every error placed at file:line:column: the scenario parser's context,
// shared with the benchmark file's reader. Internal to trocar_sim_scenario.

#include <trocar/core/Math.h>
#include <trocar/core/Result.h>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trocar::scenario::detail {

namespace fs = std::filesystem;

inline size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// "did you mean 'x'?" for the closest candidate within 2 edits (or a third of the length).
inline std::string didYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t bestDistance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t d = editDistance(word, c);
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best.empty() ? std::string() : "did you mean '" + best + "'?";
}

inline std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

class Ctx {
 public:
  Ctx(fs::path file, std::vector<Error>& errors) : mFile(std::move(file)), mErrors(errors) {}

  const fs::path& file() const { return mFile; }
  size_t errorCount() const { return mErrors.size(); }

  SourceLocation at(const YAML::Node& n, uint32_t extraColumns = 0) const {
    SourceLocation where;
    where.file = mFile.string();
    YAML::Mark m = n.Mark();
    if (m.line >= 0) {
      where.line = static_cast<uint32_t>(m.line) + 1;
      where.column = static_cast<uint32_t>(m.column) + 1 + extraColumns;
    }
    return where;
  }

  void error(const SourceLocation& where, std::string what, std::string hint = {}) {
    mErrors.push_back(makeError(ErrorCode::kInvalidInput, std::move(what), where, std::move(hint)));
  }
  void error(const YAML::Node& n, std::string what, std::string hint = {}) {
    error(at(n), std::move(what), std::move(hint));
  }

  bool isMap(const YAML::Node& n, const std::string& what) {
    if (n.IsMap()) return true;
    error(n, what + " must be a mapping (key: value lines)", "indent its keys under it");
    return false;
  }

  bool isList(const YAML::Node& n, const std::string& what) {
    if (n.IsSequence()) return true;
    error(n, what + " must be a list", "write items as '- ...' lines or [a, b]");
    return false;
  }

  // Reports keys of `map` that are not in `allowed`, with a suggestion.
  void checkKeys(const YAML::Node& map, const std::vector<std::string>& allowed, const std::string& what) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (!it->first.IsScalar()) {
        error(it->first, "keys of " + what + " must be plain words");
        continue;
      }
      const std::string& key = it->first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      std::string hint = didYouMean(key, allowed);
      // `{title: Clip (left, nose)}`: the comma ended the value and `nose)` became a key
      // with no value. Say what happened rather than that the key is unknown.
      if (hint.empty() && it->second.IsNull() && map.Style() == YAML::EmitterStyle::Flow) {
        error(it->first, "'" + key + "' reads as a key with no value: a comma inside {...} ends a value",
              "quote the value before it when it contains a comma, e.g. title: \"Clip (left, nose)\"");
        continue;
      }
      error(it->first, "unknown key '" + key + "' in " + what,
            hint.empty() ? "known keys: " + join(allowed) : hint);
    }
  }

  std::optional<std::string> text(const YAML::Node& n, const std::string& what) {
    if (n.IsScalar()) return n.Scalar();
    error(n, what + " must be text", "write it on the same line after the colon");
    return std::nullopt;
  }

  std::optional<double> number(const YAML::Node& n, const std::string& what, double min, double max,
                               const std::string& unitHint = {}) {
    if (!n.IsScalar()) {
      error(n, what + " must be a number");
      return std::nullopt;
    }
    const std::string& s = n.Scalar();
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v)) {
      error(n, what + " must be a number, not '" + s + "'", unitHint);
      return std::nullopt;
    }
    if (v < min || v > max) {
      error(n, what + " is " + s + ", outside [" + fmt(min) + ", " + fmt(max) + "]", unitHint);
      return std::nullopt;
    }
    return v;
  }

  std::optional<bool> boolean(const YAML::Node& n, const std::string& what) {
    if (n.IsScalar()) {
      const std::string& s = n.Scalar();
      if (s == "true" || s == "yes") return true;
      if (s == "false" || s == "no") return false;
    }
    error(n, what + " must be true or false");
    return std::nullopt;
  }

  template <int N>
  std::optional<glm::vec<N, float>> vec(const YAML::Node& n, const std::string& what, double limit = 100.0) {
    if (!n.IsSequence() || n.size() != static_cast<size_t>(N)) {
      error(n, what + " must be a list of " + std::to_string(N) + " numbers",
            N == 3 ? "e.g. [0, 1.1, -0.3] (metres)" : "e.g. [0.1, 0.1]");
      return std::nullopt;
    }
    glm::vec<N, float> out(0.0f);
    bool ok = true;
    for (int i = 0; i < N; ++i) {
      auto v = number(n[static_cast<size_t>(i)], what + "[" + std::to_string(i) + "]", -limit, limit);
      if (v)
        out[i] = static_cast<float>(*v);
      else
        ok = false;
    }
    if (!ok) return std::nullopt;
    return out;
  }

  static std::string fmt(double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%g", v);
    return buffer;
  }

 private:
  fs::path mFile;
  std::vector<Error>& mErrors;
};

// A hint in plain words for yaml-cpp's syntax messages about the usual traps.
inline std::string yamlSyntaxHint(const std::string& message) {
  if (message.find("illegal map value") != std::string::npos)
    return "a value that contains ': ' must be quoted, e.g. title: \"Step 1: retract\"";
  if (message.find("end of map not found") != std::string::npos ||
      message.find("end of sequence not found") != std::string::npos)
    return "check this line's indentation against the lines above (spaces only, the same depth for keys of "
           "one "
           "item), and that every { or [ closes";
  if (message.find("end of map flow not found") != std::string::npos ||
      message.find("end of sequence flow not found") != std::string::npos)
    return "a { or [ opened above does not close: close it on the same item, or quote a value that contains "
           "{, }, [ or ]";
  return "check indentation, colons and brackets near here";
}

}  // namespace trocar::scenario::detail
