#pragma once
// Bots play a scenario without a person, driving the same input frames a hand would: the
// headless `trocar run`, `trocar record` and the reference recordings under scenarios/*/recordings.
// A bot file (YAML) is either
//  - a scripted timeline: `keyframes: [...]` (Timeline.h), or
//  - a controller: `controller: NAME` and its parameters. A controller looks at the world
//    each time it plans a move (where the marked line lies now, where a peg came to rest), as
//    a trainee's eyes would, then moves the hands along keyframes it writes for that move.
// Controllers are in bots/*.cpp; their parameters are documented in scenarios/BOTS.md.
// Bots are deterministic: the same build, scenario and bot file give the same frames.

#include <trocar/core/Result.h>
#include <trocar/physics/Types.h>
#include <trocar/replay/Timeline.h>
#include <trocar/scenario/Scenario.h>
#include <trocar/session/Session.h>

#include <filesystem>
#include <memory>
#include <string>

namespace trocar::replay {

class Bot {
 public:
  virtual ~Bot() = default;
  // The input for the tick about to be stepped.
  virtual physics::InputFrame next(const session::Session& session) = 0;
  // How long the bot plays, in seconds (known up front).
  virtual double duration() const = 0;
};

std::unique_ptr<Bot> makeTimelineBot(Timeline timeline);

// Loads a bot for `scenario`; errors give file:line:col. A controller checks that the
// scenario has what it needs (the instruments, tissue, marking or objects it works on).
Result<std::unique_ptr<Bot>> loadBot(const std::filesystem::path& file,
                                     const scenario::ScenarioDesc& scenario);
Result<std::unique_ptr<Bot>> parseBot(const std::string& text, const std::string& name,
                                      const scenario::ScenarioDesc& scenario);

}  // namespace trocar::replay
