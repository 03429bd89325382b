#include <trocar/scenario/Scenario.h>

namespace trocar::scenario {

Result<std::unique_ptr<session::Session>> buildSession(const ScenarioDesc& scenario) {
  session::SessionSettings settings;
  settings.world.tickHz = scenario.tickHz;
  settings.world.camera = scenario.camera;
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
  for (const auto& z : scenario.zones) world.addTargetZone(z);
  for (const auto& [hand, setup] : scenario.instruments) {
    physics::InstrumentSettings s;
    s.spec = instruments::defaultSpec(setup.kind);
    for (const auto& p : scenario.ports) {
      if (p.id == setup.port) s.port = p;
    }
    world.setInstrument(hand, s);
  }
  return session;
}

}  // namespace trocar::scenario
