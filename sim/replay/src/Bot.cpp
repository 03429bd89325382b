#include <trocar/core/File.h>
#include <trocar/replay/Bot.h>

#include "bots/Controller.h"

#include <yaml-cpp/yaml.h>

namespace trocar::replay {
namespace {

class TimelineBot : public Bot {
 public:
  explicit TimelineBot(Timeline timeline) : mTimeline(std::move(timeline)) {}
  physics::InputFrame next(const session::Session& session) override {
    return mTimeline.sample(session.timeSeconds());
  }
  double duration() const override { return mTimeline.duration(); }

 private:
  Timeline mTimeline;
};

}  // namespace

std::unique_ptr<Bot> makeTimelineBot(Timeline timeline) {
  return std::make_unique<TimelineBot>(std::move(timeline));
}

Result<std::unique_ptr<Bot>> parseBot(const std::string& text, const std::string& name,
                                      const scenario::ScenarioDesc& scenario) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception&) {
    root = YAML::Node();  // the timeline parser reports the YAML error with its position
  }
  if (!root.IsMap() || !root["controller"]) {
    auto timeline = parseTimeline(text, name, &scenario);
    if (!timeline.ok()) return timeline.error();
    return makeTimelineBot(std::move(timeline).value());
  }
  bots::Params params(root, name);
  const YAML::Node c = root["controller"];
  const std::string kind = c.IsScalar() ? c.Scalar() : "";
  Result<std::unique_ptr<Bot>> bot = params.error(
      c, "unknown controller '" + kind + "'", "controllers: cholecystectomy, pattern-cutting, peg-transfer");
  if (kind == "cholecystectomy") bot = bots::makeCholecystectomy(params, scenario);
  if (kind == "pattern-cutting") bot = bots::makePatternCutting(params, scenario);
  if (kind == "peg-transfer") bot = bots::makePegTransfer(params, scenario);
  if (!bot.ok()) return bot;
  TROCAR_TRY(params.finish());
  return bot;
}

Result<std::unique_ptr<Bot>> loadBot(const std::filesystem::path& file,
                                     const scenario::ScenarioDesc& scenario) {
  auto text = readFileText(file);
  if (!text.ok()) return text.error();
  return parseBot(text.value(), file.string(), scenario);
}

}  // namespace trocar::replay
