// Benchmark files: writing (stable layout) and reading (every error at file:line:column).

#include <trocar/core/File.h>
#include <trocar/scenario/Benchmark.h>
#include <trocar/scenario/Scenario.h>

#include "YamlContext.h"

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <sstream>

namespace trocar::scenario {

namespace {

using detail::Ctx;
using detail::didYouMean;
namespace fs = std::filesystem;

constexpr const char* kFormat = "trocar.benchmark/1";

std::string number(double v) {
  char text[40];
  std::snprintf(text, sizeof(text), "%.9g", v);
  return text;
}

// YAML double-quoted scalar.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

const char* toString(Better better) {
  return better == Better::kLower ? "lower" : "higher";
}

const char* toString(ThresholdPolicy policy) {
  switch (policy) {
    case ThresholdPolicy::kExpertMean: return "expert_mean";
    case ThresholdPolicy::kMeanPlusSd: return "mean_plus_sd";
    case ThresholdPolicy::kBestQuartile: return "best_quartile";
  }
  return "?";
}

std::optional<ThresholdPolicy> policyNamed(const std::string& name) {
  for (ThresholdPolicy p :
       {ThresholdPolicy::kExpertMean, ThresholdPolicy::kMeanPlusSd, ThresholdPolicy::kBestQuartile})
    if (name == toString(p)) return p;
  return std::nullopt;
}

const char* outlierRuleText() {
  return "with 4 or more experts, values more than 3 robust SDs (1.4826 x median absolute deviation) "
         "from the experts' median are left out (none when that deviation is 0)";
}

std::span<const MetricInfo> benchmarkMetricTable() {
  static const MetricInfo kTable[] = {
      {"task_time_s", Better::kLower, "s", "task time",
       "when the last step was done (the run's length if not all were)"},
      {"score", Better::kHigher, "", "score", "the formula's score"},
      {"path_length_m", Better::kLower, "m", "tool path", "both tool tips' travel"},
      {"movements", Better::kLower, "", "movements", "both tools' movements"},
      {"smoothness_ldlj", Better::kHigher, "", "smoothness (LDLJ)",
       "movement segments' mean log dimensionless jerk, both tools"},
      {"hesitation_s", Better::kLower, "s", "hesitation",
       "time with no tool moving 5 mm for 2 s or more, task unfinished"},
      {"errors", Better::kLower, "", "errors", "error rule occurrences"},
      {"tissue_force_ratio_p95", Better::kLower, "", "force on tissue / its limit",
       "95th percentile of force on a touched tissue over its damage threshold"},
      {"damage_events", Better::kLower, "", "tissue damage", "tissue damage events"},
      {"pegs_dropped", Better::kLower, "", "pegs dropped", "pegs come to rest outside every zone"},
      {"area_deviation_percent", Better::kLower, "%", "area deviation",
       "cut-out area against the marked circle's"},
      {"cut_mean_mm", Better::kLower, "mm", "distance of the cut from the line",
       "mean distance of the cut from the first marked line"},
      {"cut_fraction", Better::kHigher, "", "share of the line cut", "fraction of the first marked line cut"},
  };
  return kTable;
}

const MetricInfo* metricInfo(const std::string& name) {
  for (const MetricInfo& m : benchmarkMetricTable())
    if (name == m.name) return &m;
  return nullptr;
}

const MetricBenchmark* Benchmark::find(const std::string& name) const {
  for (const auto& m : metrics)
    if (m.name == name) return &m;
  return nullptr;
}

std::string toYaml(const Benchmark& b) {
  std::ostringstream y;
  y << "# Trocar benchmark: how good is good on scenario '" << b.scenarioId << "', from expert runs.\n"
    << "# Written by `trocar calibrate`; regenerate rather than edit. Metrics: sim/scoring/REPORT.md.\n"
    << "format: " << kFormat << "\n"
    << "scenario: " << b.scenarioId << "\n"
    << "content_hash: " << quoted(b.contentHash) << "\n"
    << "created_with: " << quoted(b.createdWith) << "\n"
    << "created_at: " << quoted(b.createdAt) << "\n"
    << "policy: " << toString(b.policy) << "\n"
    << "outlier_rule: " << quoted(outlierRuleText()) << "\n";
  auto sources = [&](const char* key, const std::vector<BenchmarkSource>& list) {
    y << key << ":" << (list.empty() ? " []\n" : "\n");
    for (const auto& s : list)
      y << "  - {file: " << quoted(s.file) << ", digest: " << quoted(s.digest) << "}\n";
  };
  sources("experts", b.experts);
  sources("novices", b.novices);
  y << "metrics:\n";
  for (const auto& m : b.metrics) {
    y << "  " << m.name << ": {better: " << toString(m.better) << ", n: " << m.n
      << ", excluded: " << m.excluded << ", mean: " << number(m.mean) << ", sd: " << number(m.sd)
      << ", threshold: " << number(m.threshold);
    if (m.noviceN > 0) {
      y << ", novice_n: " << m.noviceN << ", novice_mean: " << number(m.noviceMean)
        << ", separates: " << (m.separates ? "true" : "false");
    }
    y << "}\n";
  }
  return y.str();
}

BenchmarkLoad loadBenchmarkFile(const fs::path& file) {
  BenchmarkLoad out;
  Ctx ctx(file, out.errors);
  SourceLocation top;
  top.file = file.string();
  constexpr uintmax_t kMaxBytes = 1u << 20;
  std::error_code ec;
  if (auto size = fs::file_size(file, ec); !ec && size > kMaxBytes) {
    ctx.error(top, "the file is " + std::to_string(size) + " bytes; a benchmark is at most 1 MiB",
              "regenerate it with trocar calibrate");
    return out;
  }
  auto text = readFileText(file);
  if (!text.ok()) {
    out.errors.push_back(text.error());
    return out;
  }
  YAML::Node root;
  try {
    root = YAML::Load(text.value());
  } catch (const YAML::Exception& e) {
    SourceLocation where = top;
    if (e.mark.line >= 0) {
      where.line = static_cast<uint32_t>(e.mark.line) + 1;
      where.column = static_cast<uint32_t>(e.mark.column) + 1;
    }
    ctx.error(where, "not valid YAML: " + e.msg, "regenerate it with trocar calibrate");
    return out;
  }
  if (!root.IsMap()) {
    ctx.error(top, "a benchmark file is a mapping (format:, scenario:, policy:, metrics:)",
              "regenerate it with trocar calibrate");
    return out;
  }
  Benchmark b;
  b.file = file;
  try {
    ctx.checkKeys(root,
                  {"format", "scenario", "content_hash", "created_with", "created_at", "policy",
                   "outlier_rule", "experts", "novices", "metrics"},
                  "a benchmark");
    auto required = [&](const char* key) {
      YAML::Node n = root[key];
      if (!n)
        ctx.error(top, std::string("the benchmark has no '") + key + "'",
                  "regenerate it with trocar calibrate");
      return n;
    };
    if (YAML::Node f = required("format")) {
      auto format = ctx.text(f, "format");
      if (format && *format != kFormat)
        ctx.error(f, "format '" + *format + "' is not " + kFormat, "recalibrate with this build of trocar");
    }
    if (YAML::Node s = required("scenario")) b.scenarioId = ctx.text(s, "scenario").value_or("");
    for (auto [key, field] :
         {std::pair{"content_hash", &b.contentHash}, std::pair{"created_with", &b.createdWith},
          std::pair{"created_at", &b.createdAt}}) {
      if (YAML::Node n = root[key]) *field = ctx.text(n, key).value_or("");
    }
    if (YAML::Node p = required("policy")) {
      auto name = ctx.text(p, "policy");
      auto policy = name ? policyNamed(*name) : std::nullopt;
      if (name && !policy) {
        std::string hint = didYouMean(*name, {"expert_mean", "mean_plus_sd", "best_quartile"});
        ctx.error(p, "unknown policy '" + *name + "'",
                  hint.empty() ? "known: expert_mean, mean_plus_sd, best_quartile" : hint);
      }
      if (policy) b.policy = *policy;
    }
    for (auto [key, list] : {std::pair{"experts", &b.experts}, std::pair{"novices", &b.novices}}) {
      YAML::Node n = root[key];
      if (!n || !ctx.isList(n, key)) continue;
      for (const YAML::Node& item : n) {
        if (!ctx.isMap(item, std::string("each of ") + key)) continue;
        ctx.checkKeys(item, {"file", "digest"}, std::string("each of ") + key);
        BenchmarkSource src;
        if (YAML::Node f = item["file"]) src.file = ctx.text(f, "file").value_or("");
        if (YAML::Node d = item["digest"]) src.digest = ctx.text(d, "digest").value_or("");
        list->push_back(std::move(src));
      }
    }
    if (YAML::Node metrics = required("metrics"); metrics && ctx.isMap(metrics, "metrics")) {
      std::vector<std::string> known;
      for (const MetricInfo& m : benchmarkMetricTable()) known.emplace_back(m.name);
      for (auto it = metrics.begin(); it != metrics.end(); ++it) {
        const std::string name = it->first.IsScalar() ? it->first.Scalar() : std::string();
        const MetricInfo* info = metricInfo(name);
        if (!info) {
          std::string hint = didYouMean(name, known);
          ctx.error(it->first, "unknown metric '" + name + "'",
                    hint.empty() ? "known: " + detail::join(known) : hint);
          continue;
        }
        const YAML::Node m = it->second;
        const std::string what = "metric " + name;
        if (!ctx.isMap(m, what)) continue;
        ctx.checkKeys(
            m, {"better", "n", "excluded", "mean", "sd", "threshold", "novice_n", "novice_mean", "separates"},
            what);
        MetricBenchmark mb;
        mb.name = name;
        mb.better = info->better;
        if (YAML::Node x = m["better"]) {
          auto word = ctx.text(x, what + ".better");
          if (word && *word != toString(info->better))
            ctx.error(x, what + ": better is " + toString(info->better) + ", not " + *word,
                      "regenerate it with trocar calibrate");
        }
        if (YAML::Node x = m["threshold"]) {
          mb.threshold = ctx.number(x, what + ".threshold", -1e9, 1e9).value_or(0.0);
        } else {
          ctx.error(m, what + " has no threshold", "regenerate it with trocar calibrate");
        }
        auto count = [&](const char* key) {
          YAML::Node x = m[key];
          return x ? static_cast<uint32_t>(ctx.number(x, what + "." + key, 0, 1e6).value_or(0)) : 0u;
        };
        auto value = [&](const char* key) {
          YAML::Node x = m[key];
          return x ? ctx.number(x, what + "." + key, -1e9, 1e9).value_or(0.0) : 0.0;
        };
        mb.n = count("n");
        mb.excluded = count("excluded");
        mb.noviceN = count("novice_n");
        mb.mean = value("mean");
        mb.sd = value("sd");
        mb.noviceMean = value("novice_mean");
        if (YAML::Node x = m["separates"]) mb.separates = ctx.boolean(x, what + ".separates").value_or(false);
        if (b.find(name)) ctx.error(it->first, "metric '" + name + "' appears twice");
        b.metrics.push_back(std::move(mb));
      }
      if (b.metrics.empty() && out.errors.empty())
        ctx.error(metrics, "the benchmark has no metrics", "calibrate with at least one expert recording");
    }
  } catch (const YAML::Exception& e) {  // yaml-cpp throws on some malformed node accesses
    SourceLocation where = top;
    if (e.mark.line >= 0) {
      where.line = static_cast<uint32_t>(e.mark.line) + 1;
      where.column = static_cast<uint32_t>(e.mark.column) + 1;
    }
    ctx.error(where, std::string("malformed benchmark: ") + e.msg);
  }
  if (out.errors.empty()) out.benchmark = std::move(b);
  return out;
}

}  // namespace trocar::scenario
