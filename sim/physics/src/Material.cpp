#include "Material.h"

#include <BulletSoftBody/btSoftBody.h>

#include <algorithm>

namespace trocar::physics::detail {

void applyMaterial(btSoftBody& body, const Material& material, TissueKind kind, uint32_t iterations) {
  btSoftBody::Material* links = body.m_materials[0];
  links->m_kLST = std::clamp(material.stretch, 0.0f, 1.0f);
  links->m_kAST = std::clamp(material.bend, 0.0f, 1.0f);
  links->m_kVST = std::clamp(material.volume, 0.0f, 1.0f);
  btSoftBody::Config& cfg = body.m_cfg;
  cfg.kDP = std::clamp(material.damping, 0.0f, 0.99f);
  cfg.kDF = std::clamp(material.friction, 0.0f, 1.0f);
  cfg.kCHR = 1.0f;
  cfg.kKHR = 1.0f;
  cfg.kAHR = 1.0f;
  cfg.kPR = 0.0f;
  cfg.kVC =
      kind == TissueKind::kCloth ? 0.0f : kVolumeConservationScale * std::clamp(material.volume, 0.0f, 1.0f);
  cfg.piterations = static_cast<int>(std::clamp<uint32_t>(iterations, 1, 64));
  cfg.collisions = btSoftBody::fCollision::SDF_RS;
}

float toolYield(const Material& material, TissueKind /*kind*/) {
  const float s = std::clamp(material.stretch, 0.0f, 1.0f);
  const float s3 = s * s * s;
  const float s12 = s3 * s3 * s3 * s3;
  return std::max(0.02f, s12);
}

}  // namespace trocar::physics::detail
