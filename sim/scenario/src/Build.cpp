#include <trocar/scenario/Scenario.h>

namespace trocar::scenario {

physics::WorldSettings::Table tableBox(const ScenarioDesc& scenario) {
  constexpr float kHalfThickness = 0.02f;
  return {{0.0f, scenario.tableHeight - kHalfThickness, -0.45f}, {0.6f, kHalfThickness, 0.4f}};
}

Result<std::unique_ptr<session::Session>> buildSession(const ScenarioDesc& scenario) {
  session::SessionSettings settings;
  settings.world.tickHz = scenario.tickHz;
  settings.world.camera = scenario.camera;
  settings.world.table = tableBox(scenario);
  auto session = std::make_unique<session::Session>(settings);
  physics::World& world = session->world();
  for (const auto& t : scenario.tissues) {
    auto id = world.addTissue(t.settings);
    if (!id.ok()) return id.error();
  }
  for (const auto& o : scenario.objects) {
    auto id = world.addRigid(o.settings);
    if (!id.ok()) return id.error();
  }
  for (const auto& z : scenario.zones) {
    auto id = world.addTargetZone(z);
    if (!id.ok()) return id.error();
  }
  for (const auto& [hand, setup] : scenario.instruments) {
    std::vector<physics::InstrumentSettings> tray;
    for (size_t i = 0; i <= setup.exchange.size(); ++i) {
      physics::InstrumentSettings s;
      s.spec = instruments::defaultSpec(i == 0 ? setup.kind : setup.exchange[i - 1]);
      for (const auto& p : scenario.ports) {
        if (p.id == setup.port) s.port = p;
      }
      tray.push_back(s);
    }
    world.setInstrumentTray(hand, std::move(tray));
  }
  return session;
}

}  // namespace trocar::scenario
