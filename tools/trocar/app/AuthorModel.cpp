#include "AuthorModel.h"

#include "DesktopRig.h"

#include <trocar/core/File.h>
#include <trocar/core/Log.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <sstream>

namespace trocar::app {

namespace fs = std::filesystem;
using scenario::Document;
using scenario::YamlNode;

namespace {

// Where a new scenario starts: a gauze pinned at its corners on the table, a grasper and
// scissors, one step; enough to compile, draw and try at once.
constexpr const char* kStarter = R"yaml(# A new scenario (trocar author). The format: scenarios/FORMAT.md.
trocar: 1
id: new-scenario
title: New scenario
view: open
instruments: {left: grasper, right: scissors}

tissues:
  - id: gauze
    generate: {cloth: {size: [0.1, 0.1], cells: [20, 20], position: [0, 0.95, -0.45]}}
    material: {stretch: 0.9, bend: 0.0, mass_kg: 0.004, damage_force_n: 4, tear_force_n: 8}
    fixed: corners

checklist:
  - {id: grasp-gauze, title: Grasp the gauze, done_when: "grasped(left, gauze)"}

scoring: {formula: checklist, pass_score: 80}
)yaml";

// Positions and sizes made with the mouse are written to 0.1 mm.
float tidy(float metres) {
  return std::round(metres * 1e4f) / 1e4f;
}
Vec3 tidy(const Vec3& v) {
  return {tidy(v.x), tidy(v.y), tidy(v.z)};
}
YamlNode place(const Vec3& v) {
  return YamlNode::vector(tidy(v));
}
YamlNode length(float metres) {
  return YamlNode::number(tidy(metres));
}
YamlNode condition(const std::string& text) {  // quoted, as FORMAT.md writes conditions
  YamlNode n = YamlNode::scalar(text);
  n.quote = '"';
  return n;
}

std::string fmt(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// Ray and an oriented box (slabs in the box's frame); the distance and the face normal.
std::optional<std::pair<float, Vec3>> rayBox(const Vec3& o, const Vec3& d, const Pose& pose,
                                             const Vec3& half) {
  const Quat inv = glm::inverse(pose.orientation);
  const Vec3 lo = inv * (o - pose.position), ld = inv * d;
  float tNear = -1e30f, tFar = 1e30f;
  int axis = 0;
  float sign = 1.0f;
  for (int i = 0; i < 3; ++i) {
    if (std::abs(ld[i]) < 1e-12f) {
      if (lo[i] < -half[i] || lo[i] > half[i]) return std::nullopt;
      continue;
    }
    float t1 = (-half[i] - lo[i]) / ld[i], t2 = (half[i] - lo[i]) / ld[i];
    float s = -1.0f;
    if (t1 > t2) {
      std::swap(t1, t2);
      s = 1.0f;
    }
    if (t1 > tNear) {
      tNear = t1;
      axis = i;
      sign = s;
    }
    tFar = std::min(tFar, t2);
    if (tNear > tFar) return std::nullopt;
  }
  if (tNear <= 0.0f) return std::nullopt;
  Vec3 n(0.0f);
  n[axis] = sign;
  return std::pair{tNear, pose.orientation * n};
}

// The `regions`-style item `id` of a section, or an error naming what exists.
Result<YamlNode*> findItem(Document& doc, const std::string& section, const std::string& id) {
  YamlNode* list = doc.root.get(section);
  YamlNode* item = list ? list->findId(id) : nullptr;
  if (!item || !item->isMap())
    return makeError(ErrorCode::kNotFound, "there is no " + section + " entry '" + id + "'");
  return item;
}

}  // namespace

// --- templates -----------------------------------------------------------------------------

const char* templateName(ConditionTemplate::Kind kind) {
  using K = ConditionTemplate::Kind;
  switch (kind) {
    case K::kGrasp: return "grasp";
    case K::kCutInRegion: return "cut in a region";
    case K::kClipsOn: return "clips on";
    case K::kPlacedIn: return "placed in";
    case K::kContact: return "contact";
    case K::kHeldFor: return "held for N s";
    case K::kForceBelow: return "touch with force below X N";
    case K::kForceAbove: return "force above X N";
  }
  return "?";
}

std::string conditionFor(const ConditionTemplate& t) {
  using K = ConditionTemplate::Kind;
  switch (t.kind) {
    case K::kGrasp: return "grasped(" + t.hand + ", " + t.target + ")";
    case K::kCutInRegion:
      return t.region.empty() ? "cut(" + t.target + ")" : "cut(" + t.target + ", " + t.region + ")";
    case K::kClipsOn: return "clips(" + t.target + ") >= " + std::to_string(t.count);
    case K::kPlacedIn: return "placed(" + t.target + ", " + t.region + ") >= " + std::to_string(t.count);
    case K::kContact: return "contact(" + t.hand + ", " + t.target + ")";
    case K::kHeldFor: return "held(" + fmt(t.seconds) + ", grasped(" + t.hand + ", " + t.target + "))";
    case K::kForceBelow:
      return "all(contact(" + t.hand + ", " + t.target + "), force(" + t.target + ") < " + fmt(t.newtons) +
             ")";
    case K::kForceAbove: return "force(" + t.target + ") > " + fmt(t.newtons);
  }
  return "";
}

std::string titleFor(const ConditionTemplate& t) {
  using K = ConditionTemplate::Kind;
  switch (t.kind) {
    case K::kGrasp: return "Grasp the " + t.target;
    case K::kCutInRegion:
      return t.region.empty() ? "Cut the " + t.target : "Cut the " + t.target + " at " + t.region;
    case K::kClipsOn:
      return "Apply " + std::to_string(t.count) + (t.count == 1 ? " clip" : " clips") + " to the " + t.target;
    case K::kPlacedIn: return "Place " + t.target + " in " + t.region;
    case K::kContact: return "Touch the " + t.target;
    case K::kHeldFor: return "Hold the " + t.target + " for " + fmt(t.seconds) + " s";
    case K::kForceBelow: return "Touch the " + t.target + " gently (under " + fmt(t.newtons) + " N)";
    case K::kForceAbove: return "Pressed the " + t.target + " harder than " + fmt(t.newtons) + " N";
  }
  return "";
}

// --- the model -----------------------------------------------------------------------------

AuthorModel::~AuthorModel() = default;

Result<std::unique_ptr<AuthorModel>> AuthorModel::open(const fs::path& file) {
  std::unique_ptr<AuthorModel> m(new AuthorModel());
  m->mFile = file;
  std::string text = kStarter;
  std::error_code ec;
  if (fs::exists(file, ec)) {
    auto read = readFileText(file);
    if (!read) return read.error();
    text = read.value();
    m->mSavedAt = 0;
  }
  scenario::DocumentLoad doc = scenario::readDocument(text, file);
  if (!doc.document) return doc.errors.front();  // YAML syntax: fix it in a text editor first
  m->mDocument = std::move(*doc.document);
  m->adopt(scenario::writeDocument(m->mDocument));
  m->mHistory = {m->mText};
  m->mAt = 0;
  return m;
}

const physics::World* AuthorModel::world() const {
  return mSession ? &mSession->world() : nullptr;
}

void AuthorModel::adopt(const std::string& text) {
  ++mVersion;
  mText = text;
  scenario::DocumentLoad doc = scenario::readDocument(text, mFile);
  if (doc.document) mDocument = std::move(*doc.document);
  mCompiled = scenario::loadScenarioText(text, mFile);
  if (!mCompiled.ok()) return;  // keep showing the last world that compiled
  const bool sameWorld = mScenario && mScenario->contentHash == mCompiled.scenario->contentHash;
  mScenario = mCompiled.scenario;
  mSanity = scenario::checkSanity(*mScenario);
  if (sameWorld && mSession) return;  // a checklist or scoring edit: the world is as it was
  mSession.reset();
  auto built = scenario::buildSession(*mScenario);
  if (!built) {
    TROCAR_LOG_WARN("author: %s", built.error().toString().c_str());
    return;
  }
  mSession = std::move(built.value());
  physics::InputFrame none;
  none.head = mScenario->head;
  for (auto& hand : none.hands) hand.tracked = false;
  for (uint32_t tick = 0; tick < mScenario->tickHz; ++tick) mSession->step(none);  // settled: 1 s
  mSession->world().snapshot(mSnapshot);
}

Result<void> AuthorModel::change(const std::function<Result<void>(Document&)>& edit) {
  Document copy = mDocument;
  TROCAR_TRY(edit(copy));
  const std::string text = scenario::writeDocument(copy);
  scenario::LoadResult trial = scenario::loadScenarioText(text, mFile);
  // An edit that adds an error is refused (an edit of a document that has errors need only
  // not add one).
  if (trial.errors.size() > mCompiled.errors.size()) {
    for (const Error& e : trial.errors) {
      const bool old = std::any_of(mCompiled.errors.begin(), mCompiled.errors.end(),
                                   [&](const Error& o) { return o.message == e.message; });
      if (!old) return makeError(ErrorCode::kInvalidInput, e.message, e.where, e.hint);
    }
    return trial.errors.back();
  }
  adopt(text);
  if (mSavedAt && *mSavedAt > mAt) mSavedAt.reset();  // what was saved is no longer in the history
  mHistory.resize(mAt + 1);
  mHistory.push_back(mText);
  mAt = mHistory.size() - 1;
  return {};
}

bool AuthorModel::undo() {
  if (!canUndo()) return false;
  adopt(mHistory[--mAt]);
  return true;
}

bool AuthorModel::redo() {
  if (!canRedo()) return false;
  adopt(mHistory[++mAt]);
  return true;
}

Result<void> AuthorModel::save(const fs::path& file) {
  const fs::path to = file.empty() ? mFile : file;
  TROCAR_TRY(writeFileAtomic(to, mText));
  if (to == mFile) mSavedAt = mAt;
  return {};
}

YamlNode& AuthorModel::section(Document& doc, const std::string& name) const {
  if (YamlNode* s = doc.root.get(name); s && s->isSequence()) return *s;
  YamlNode list = YamlNode::sequence();
  list.notes.blankBefore = true;
  // Sections go before the checklist (conditions name what they define).
  const std::vector<std::string> order = {"tissues",   "regions", "objects", "zones",
                                          "checklist", "errors",  "scoring"};
  auto rank = [&](const std::string& key) {
    auto it = std::find(order.begin(), order.end(), key);
    return it == order.end() ? -1 : static_cast<int>(it - order.begin());
  };
  const int mine = rank(name);
  auto& entries = doc.root.entries;
  auto at = std::find_if(entries.begin(), entries.end(),
                         [&](const YamlNode::Entry& e) { return rank(e.key) > mine; });
  at = entries.insert(at, {name, {}, std::move(list)});
  return at->value;
}

std::string AuthorModel::freeId(const std::string& sectionName, const std::string& prefix) const {
  const YamlNode* list = mDocument.root.get(sectionName);
  for (int n = 1;; ++n) {
    std::string id = prefix + "-" + std::to_string(n);
    if (!list || list->indexOfId(id) < 0) return id;
  }
}

Vec3 AuthorModel::fieldCenter() const {
  return mScenario ? app::fieldCenter(*mScenario) : Vec3(0.0f, 0.9f, -0.45f);
}

Vec3 AuthorModel::restToNow(const std::string& tissue, const Vec3& rest) const {
  const physics::World* w = world();
  if (!w) return rest;
  const auto id = w->findTissue(tissue);
  if (!id || id->index >= mSnapshot.tissues.size()) return rest;
  const physics::TissueSnapshot& t = mSnapshot.tissues[id->index];
  // The four nearest nodes at rest, weighted by inverse distance.
  std::array<std::pair<float, uint32_t>, 4> nearest;
  nearest.fill({1e30f, 0});
  for (uint32_t i = 0; i < t.restPositions.size() && i < t.positions.size(); ++i) {
    const float dd = glm::dot(t.restPositions[i] - rest, t.restPositions[i] - rest);
    if (dd >= nearest.back().first) continue;
    nearest.back() = {dd, i};
    std::sort(nearest.begin(), nearest.end());
  }
  Vec3 moved(0.0f);
  float total = 0.0f;
  for (const auto& [dd, i] : nearest) {
    if (dd >= 1e30f) continue;
    const float wgt = 1.0f / (std::sqrt(dd) + 1e-4f);
    moved += wgt * (t.positions[i] - t.restPositions[i]);
    total += wgt;
  }
  return total > 0.0f ? rest + moved / total : rest;
}

std::optional<SurfaceHit> AuthorModel::pick(const Vec3& origin, const Vec3& direction) const {
  const Vec3 d = glm::normalize(direction);
  std::optional<SurfaceHit> best;
  auto consider = [&](float t, const Vec3& normal, const std::string& tissue, const std::string& object,
                      std::optional<Vec3> rest = std::nullopt) {
    if (best && t >= best->distance) return;
    SurfaceHit h;
    h.distance = t;
    h.point = origin + d * t;
    h.rest = rest.value_or(h.point);
    h.normal = glm::dot(normal, d) > 0.0f ? -normal : normal;
    h.tissue = tissue;
    h.object = object;
    best = h;
  };
  const physics::World* w = world();
  if (!w || !mScenario) return std::nullopt;
  // Tissues as drawn (their contact surfaces: what instruments touch), with the point at rest.
  if (auto hit = w->castRay(origin, d, 10.0f))
    consider(hit->distance, hit->normal, std::string(w->tissueName(hit->tissue)), {}, hit->rest);
  for (size_t i = 0; i < mSnapshot.rigids.size() && i < mScenario->objects.size(); ++i) {
    const auto& o = mScenario->objects[i].settings;
    // A triangle's halfExtents.z is half a bar's width; it spans its side's length both ways.
    const Vec3 box = o.shape == physics::RigidShape::kTriangle
                         ? Vec3(o.halfExtents.x, o.halfExtents.y, o.halfExtents.x)
                         : o.halfExtents;
    if (auto hit = rayBox(origin, d, mSnapshot.rigids[i], box)) consider(hit->first, hit->second, {}, o.name);
  }
  const physics::WorldSettings::Table table = scenario::tableBox(*mScenario);
  if (auto hit = rayBox(origin, d, Pose{table.center, Quat(1, 0, 0, 0)}, table.halfExtents))
    consider(hit->first, hit->second, {}, {});
  return best;
}

std::vector<Problem> AuthorModel::problems() const {
  std::vector<Problem> out;
  // Which item of which section holds a line of text().
  auto place = [&](Problem& p) {
    const uint32_t line = p.error.where.line;
    if (line == 0 || (!p.error.where.file.empty() && p.error.where.file != mFile.string())) return;
    for (const auto& e : mDocument.root.entries) {
      if (!e.value.isSequence()) {
        if (e.keyWhere.line == line) p.section = e.key;
        continue;
      }
      for (const YamlNode& item : e.value.items) {
        if (item.where.line > line) break;
        p.section = e.key;
        const YamlNode* id = item.get("id");
        p.id = id && id->isScalar() ? id->text : std::string();
      }
      if (!e.value.items.empty() && e.keyWhere.line <= line && p.section.empty()) p.section = e.key;
    }
  };
  for (const Error& e : mCompiled.errors) {
    Problem p{e, false, {}, {}};
    place(p);
    out.push_back(std::move(p));
  }
  if (mCompiled.ok()) {
    for (const Error& e : mSanity.warnings) {
      Problem p{e, true, {}, {}};
      place(p);
      out.push_back(std::move(p));
    }
  }
  return out;
}

// --- operations ----------------------------------------------------------------------------

Result<std::string> AuthorModel::addRegion(const std::string& tissue, const Vec3& center, float radiusM) {
  const std::string id = freeId("regions", tissue + "-region");
  TROCAR_TRY(change([&](Document& doc) -> Result<void> {
    YamlNode item = YamlNode::map(true);
    item.set("id", YamlNode::scalar(id));
    item.set("tissue", YamlNode::scalar(tissue));
    YamlNode sphere = YamlNode::map(true);
    sphere.set("center", place(center));
    sphere.set("radius", length(radiusM));
    item.set("sphere", std::move(sphere));
    section(doc, "regions").items.push_back(std::move(item));
    return {};
  }));
  return id;
}

Result<void> AuthorModel::moveRegion(const std::string& id, const Vec3& center) {
  return change([&](Document& doc) -> Result<void> {
    auto found = findItem(doc, "regions", id);
    if (!found) return found.error();
    YamlNode* item = found.value();
    for (const char* shape : {"sphere", "box"}) {
      if (YamlNode* s = item->get(shape); s && s->isMap()) {
        s->set("center", place(center));
        return {};
      }
    }
    return makeError(ErrorCode::kInvalidInput, "region '" + id + "' is chosen by its marking, group or nodes",
                     "move the marking, or give the region a sphere or box");
  });
}

Result<void> AuthorModel::resizeRegion(const std::string& id, float scale) {
  return change([&](Document& doc) -> Result<void> {
    auto found = findItem(doc, "regions", id);
    if (!found) return found.error();
    YamlNode* item = found.value();
    if (YamlNode* s = item->get("sphere"); s && s->isMap()) {
      const YamlNode* r = s->get("radius");
      const double radius = r ? r->asNumber().value_or(0.005) : 0.005;
      s->set("radius", length(static_cast<float>(radius) * scale));
      return {};
    }
    if (YamlNode* b = item->get("box"); b && b->isMap()) {
      const YamlNode* size = b->get("size");
      const Vec3 was = size ? size->asVec3().value_or(Vec3(0.01f)) : Vec3(0.01f);
      b->set("size", place(was * scale));
      return {};
    }
    return makeError(ErrorCode::kInvalidInput, "region '" + id + "' has no sphere or box to resize");
  });
}

Result<std::string> AuthorModel::addZone(const Vec3& center, const Vec3& size) {
  const std::string id = freeId("zones", "zone");
  TROCAR_TRY(change([&](Document& doc) -> Result<void> {
    YamlNode item = YamlNode::map(true);
    item.set("id", YamlNode::scalar(id));
    item.set("center", place(center));
    item.set("size", place(size));
    section(doc, "zones").items.push_back(std::move(item));
    return {};
  }));
  return id;
}

Result<void> AuthorModel::moveZone(const std::string& id, const Vec3& center) {
  return change([&](Document& doc) -> Result<void> {
    auto found = findItem(doc, "zones", id);
    if (!found) return found.error();
    YamlNode* item = found.value();
    item->set("center", place(center));
    return {};
  });
}

Result<void> AuthorModel::resizeZone(const std::string& id, const Vec3& size) {
  return change([&](Document& doc) -> Result<void> {
    auto found = findItem(doc, "zones", id);
    if (!found) return found.error();
    YamlNode* item = found.value();
    item->set("size", place(glm::abs(size)));
    return {};
  });
}

Result<size_t> AuthorModel::addFixedBox(const std::string& tissue, const Vec3& center, const Vec3& size) {
  size_t index = 0;
  TROCAR_TRY(change([&](Document& doc) -> Result<void> {
    auto found = findItem(doc, "tissues", tissue);
    if (!found) return found.error();
    YamlNode* item = found.value();
    YamlNode box = YamlNode::map(true);
    YamlNode inner = YamlNode::map(true);
    inner.set("center", place(center));
    inner.set("size", place(glm::abs(size)));
    box.set("box", std::move(inner));
    YamlNode* fixed = item->get("fixed");
    if (!fixed || fixed->kind == YamlNode::Kind::kNull) {
      item->set("fixed", std::move(box));
      return {};
    }
    if (!fixed->isSequence()) {  // one selection becomes a list of two
      YamlNode list = YamlNode::sequence(true);
      list.items.push_back(*fixed);
      list.items.back().notes = {};
      list.items.push_back(std::move(box));
      list.notes = fixed->notes;
      *fixed = std::move(list);
      index = 1;
      return {};
    }
    fixed->items.push_back(std::move(box));
    index = fixed->items.size() - 1;
    return {};
  }));
  return index;
}

Result<void> AuthorModel::moveFixedBox(const std::string& tissue, size_t index, const Vec3& center) {
  return change([&](Document& doc) -> Result<void> {
    auto found = findItem(doc, "tissues", tissue);
    if (!found) return found.error();
    YamlNode* item = found.value();
    YamlNode* fixed = item->get("fixed");
    YamlNode* selection = nullptr;
    if (fixed && fixed->isSequence() && index < fixed->items.size())
      selection = &fixed->items[index];
    else if (fixed && fixed->isMap() && index == 0)
      selection = fixed;
    YamlNode* box = selection ? selection->get("box") : nullptr;
    if (!box) box = selection ? selection->get("sphere") : nullptr;
    if (!box || !box->isMap())
      return makeError(ErrorCode::kInvalidInput,
                       "tissue '" + tissue + "' has no fixed box or sphere " + std::to_string(index));
    box->set("center", place(center));
    return {};
  });
}

Result<std::string> AuthorModel::addMarking(const std::string& tissue, const std::string& prefix,
                                            const std::function<YamlNode(const PointWriter&)>& make) {
  if (!mScenario) return makeError(ErrorCode::kInvalidInput, "the scenario does not compile yet");
  const scenario::TissueDesc* t = nullptr;
  for (const auto& each : mScenario->tissues) {
    if (each.settings.name == tissue) t = &each;
  }
  if (!t) return makeError(ErrorCode::kNotFound, "there is no tissue '" + tissue + "'");
  // Points as the format has them: on cloth [x, z] in the cloth's own plane, else [x, y, z].
  const PointWriter point = [t](const Vec3& p) {
    if (t->settings.kind != physics::TissueKind::kCloth) return place(p);
    const Pose& pose = t->settings.cloth.pose;
    const Vec3 local = glm::inverse(pose.orientation) * (p - pose.position);
    return YamlNode::vector(Vec2(tidy(local.x), tidy(local.z)));
  };
  std::string id;
  TROCAR_TRY(change([&](Document& doc) -> Result<void> {
    auto found = findItem(doc, "tissues", tissue);
    if (!found) return found.error();
    YamlNode* item = found.value();
    YamlNode* marks = item->get("markings");
    if (!marks || !marks->isSequence()) marks = &item->set("markings", YamlNode::sequence());
    for (int n = 1; id.empty(); ++n) {
      if (marks->indexOfId(prefix + "-" + std::to_string(n)) < 0) id = prefix + "-" + std::to_string(n);
    }
    YamlNode mark = make(point);
    YamlNode::Entry first;
    first.key = "id";
    first.value = YamlNode::scalar(id);
    mark.entries.insert(mark.entries.begin(), std::move(first));
    marks->items.push_back(std::move(mark));
    return {};
  }));
  return id;
}

Result<std::string> AuthorModel::addMarkingCircle(const std::string& tissue, const Vec3& center,
                                                  float radiusM) {
  return addMarking(tissue, "circle", [&](const PointWriter& point) {
    YamlNode circle = YamlNode::map(true);
    circle.set("center", point(center));
    circle.set("radius", length(radiusM));
    YamlNode mark = YamlNode::map(true);
    mark.set("circle", std::move(circle));
    return mark;
  });
}

Result<std::string> AuthorModel::addMarkingLine(const std::string& tissue, const std::vector<Vec3>& points,
                                                bool closed) {
  if (points.size() < 2)
    return makeError(ErrorCode::kInvalidInput, "a marking line needs two points or more");
  return addMarking(tissue, "line", [&](const PointWriter& point) {
    YamlNode line = YamlNode::sequence(true);
    for (const Vec3& p : points) line.items.push_back(point(p));
    YamlNode mark = YamlNode::map(true);
    mark.set("polyline", std::move(line));
    if (closed) mark.set("closed", YamlNode::scalar("true"));
    return mark;
  });
}

Result<std::string> AuthorModel::addStep(const ConditionTemplate& t, std::string id, std::string title) {
  if (id.empty()) id = freeId("checklist", "step");
  if (title.empty()) title = titleFor(t);
  TROCAR_TRY(change([&](Document& doc) -> Result<void> {
    YamlNode item = YamlNode::map(true);
    item.set("id", YamlNode::scalar(id));
    item.set("title", YamlNode::scalar(title));
    item.set("done_when", condition(conditionFor(t)));
    section(doc, "checklist").items.push_back(std::move(item));
    return {};
  }));
  return id;
}

Result<std::string> AuthorModel::addErrorRule(const ConditionTemplate& t, double penalty, bool critical) {
  const std::string id = freeId("errors", "error");
  TROCAR_TRY(change([&](Document& doc) -> Result<void> {
    YamlNode item = YamlNode::map(true);
    item.set("id", YamlNode::scalar(id));
    item.set("title", YamlNode::scalar(titleFor(t)));
    item.set("when", condition(conditionFor(t)));
    if (critical)
      item.set("critical", YamlNode::scalar("true"));
    else
      item.set("penalty", YamlNode::number(penalty));
    section(doc, "errors").items.push_back(std::move(item));
    return {};
  }));
  return id;
}

Result<void> AuthorModel::setField(const std::string& sectionName, const std::string& id,
                                   const std::string& path, YamlNode value) {
  return change([&](Document& doc) -> Result<void> {
    YamlNode* at = &doc.root;
    if (!sectionName.empty()) {
      auto found = findItem(doc, sectionName, id);
      if (!found) return found.error();
      at = found.value();
    }
    std::vector<std::string> keys;
    for (size_t start = 0; start <= path.size();) {
      size_t dot = path.find('.', start);
      if (dot == std::string::npos) dot = path.size();
      keys.push_back(path.substr(start, dot - start));
      start = dot + 1;
    }
    for (size_t i = 0; i + 1 < keys.size(); ++i) {
      YamlNode* next = at->get(keys[i]);
      if (!next || !next->isMap()) next = &at->set(keys[i], YamlNode::map(true));
      at = next;
    }
    at->set(keys.back(), std::move(value));
    return {};
  });
}

Result<void> AuthorModel::removeItem(const std::string& sectionName, const std::string& id) {
  return change([&](Document& doc) -> Result<void> {
    YamlNode* list = doc.root.get(sectionName);
    const int i = list ? list->indexOfId(id) : -1;
    if (i < 0) return makeError(ErrorCode::kNotFound, "there is no " + sectionName + " entry '" + id + "'");
    list->items.erase(list->items.begin() + i);
    return {};
  });
}

}  // namespace trocar::app
