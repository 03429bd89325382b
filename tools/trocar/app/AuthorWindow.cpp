// The `trocar author` window: the scene as the trainee will see it under a free camera, a
// centimetre grid and axes, overlays for what the scenario defines, panels to add and edit
// it, and live validation. Everything it changes goes through AuthorModel.
//
// Mouse: right-drag orbits, middle-drag (or Shift+right-drag) pans, the wheel zooms. In Select
// mode a left click selects the region, zone or fixed box under the mouse (else the tissue or
// object) and a left drag moves a selected region, zone or fixed box over the surface. In the
// add modes a left click adds one where it lands; Line adds points, Enter ends the line.
// Keys: 1-6 the modes (Select, Region, Zone, Fixed box, Circle mark, Line mark), Ctrl+S save,
// Ctrl+Z undo, Ctrl+Y redo, [ and ] shrink and grow, Delete removes, F5 tries the scenario, F6
// records a reference attempt,
// Esc quits (twice with unsaved changes).

#include "AuthorModel.h"
#include "ScenePresenter.h"
#include "ToolWindow.h"

#include <trocar/core/File.h>
#include <trocar/core/Log.h>
#include <trocar/render/Image.h>
#include <trocar/render/Renderer.h>
#include <trocar/render/Targets.h>

#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <thread>

namespace trocar::app {
namespace {

namespace fs = std::filesystem;
using scenario::YamlNode;
using Clock = std::chrono::steady_clock;

// Overlay colours: pure colours stay the same through the sRGB target's encoding.
constexpr ImU32 kRegionColour = IM_COL32(255, 255, 0, 255);
constexpr ImU32 kZoneColour = IM_COL32(0, 255, 0, 255);
constexpr ImU32 kFixedColour = IM_COL32(255, 0, 255, 255);
constexpr ImU32 kSelectedColour = IM_COL32(0, 255, 255, 255);
constexpr ImU32 kPortColour = IM_COL32(255, 128, 0, 255);
constexpr ImU32 kMarkingColour = IM_COL32(0, 0, 255, 255);
constexpr ImU32 kBoundsColour = IM_COL32(255, 255, 255, 160);
constexpr ImU32 kGrid = IM_COL32(255, 255, 255, 40);
constexpr ImU32 kGridMajor = IM_COL32(255, 255, 255, 90);
constexpr float kFovRad = 0.9f;

enum class Mode : int { kSelect, kRegion, kZone, kFixed, kCircle, kLine };
constexpr const char* kModeNames[] = {"Select", "Region", "Zone", "Fixed box", "Circle mark", "Line mark"};

// Key presses since the editor last looked (the window's key callback; ImGui's backend calls
// it on as the callback installed before it).
struct KeyPress {
  int key = 0;
  int mods = 0;
};
std::vector<KeyPress> gKeyPresses;
void onKey(GLFWwindow* /*window*/, int key, int /*scancode*/, int action, int mods) {
  if (action == GLFW_PRESS || action == GLFW_REPEAT) gKeyPresses.push_back({key, mods});
}

struct FreeCamera {
  Vec3 target{0.0f};
  float yaw = 0.0f, pitch = 0.6f, distance = 0.4f;
  Vec3 eye() const {
    return target +
           distance * Vec3(std::cos(pitch) * std::sin(yaw), std::sin(pitch), std::cos(pitch) * std::cos(yaw));
  }
  Pose pose() const { return lookAt(eye(), target); }
};

struct Selection {
  std::string section, id;
  size_t index = 0;  // fixed: which selection of the tissue
  bool operator==(const Selection&) const = default;
};

std::string cm(float metres) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(metres * 100.0f));
  return buf;
}

// A point or vector read from the document (the model writes these), in metres.
std::optional<Vec3> vecAt(const YamlNode* item, std::initializer_list<const char*> path) {
  const YamlNode* at = item;
  for (const char* key : path) at = at ? at->get(key) : nullptr;
  return at ? at->asVec3() : std::nullopt;
}
std::optional<double> numberAt(const YamlNode* item, std::initializer_list<const char*> path) {
  const YamlNode* at = item;
  for (const char* key : path) at = at ? at->get(key) : nullptr;
  return at ? at->asNumber() : std::nullopt;
}
std::string textAt(const YamlNode* item, const char* key) {
  const YamlNode* at = item ? item->get(key) : nullptr;
  return at && at->isScalar() ? at->text : std::string();
}

class Editor {
 public:
  Editor(AuthorModel& model, const AuthorSettings& settings) : mModel(model), mSettings(settings) {
    const scenario::ScenarioDesc* s = model.scenario();
    mCamera.target = model.fieldCenter();
    const Vec3 from = s ? s->head.position : Vec3(0, 1.7f, 0.3f);  // from where the trainee stands
    const Vec3 d = from - mCamera.target;
    if (glm::length(d) > 1e-3f) {
      mCamera.yaw = std::atan2(d.x, d.z);
      mCamera.pitch = std::clamp(std::asin(d.y / glm::length(d)), 0.15f, 1.45f);
    }
    mCamera.distance = 0.35f;
    if (!settings.select.empty()) {
      const size_t slash = settings.select.find('/');
      mSelection = {settings.select.substr(0, slash),
                    slash == std::string::npos ? std::string() : settings.select.substr(slash + 1)};
    }
  }

  bool wantsQuit() const { return mQuit; }

  // One frame of input and the panels (inside ImGui's frame).
  void build(int width, int height) {
    mWidth = static_cast<float>(width);
    mHeight = static_cast<float>(height);
    mView = monoView(mCamera.pose(), kFovRad, mWidth / std::max(1.0f, mHeight));
    mViewProjection = mView.projection * mView.view;
    handleKeys();
    handleMouse();
    drawOverlays();
    scenarioPanel();
    propertiesPanel();
    templatePanel();
    problemsPanel();
    statusLine();
  }

  const render::View& view() const { return mView; }
  // Logged after each change, for tests that look at the picture: where things were drawn
  // (the field's middle: the first tissue's point at rest there, as drawn now).
  void logPlaces() {
    if (mLoggedText == mModel.text() || mWidth <= 1.0f) return;
    mLoggedText = mModel.text();
    const scenario::ScenarioDesc* s = mModel.scenario();
    const Vec3 middle = s && !s->tissues.empty()
                            ? mModel.restToNow(s->tissues[0].settings.name, mModel.fieldCenter())
                            : mModel.fieldCenter();
    if (auto c = project(middle))
      TROCAR_LOG_INFO("author: field centre at (%.0f, %.0f) px", static_cast<double>(c->x),
                      static_cast<double>(c->y));
    for (const auto& [text, at] : mDrawn)
      TROCAR_LOG_INFO("author: %s at (%.0f, %.0f) px", text.c_str(), static_cast<double>(at.x),
                      static_cast<double>(at.y));
  }

 private:
  // --- projection and picking ----------------------------------------------------------------
  std::optional<ImVec2> project(const Vec3& p) const {
    const Vec4 clip = mViewProjection * Vec4(p, 1.0f);
    if (clip.w <= 1e-4f) return std::nullopt;
    const Vec3 ndc = Vec3(clip) / clip.w;
    return ImVec2((ndc.x * 0.5f + 0.5f) * mWidth, (ndc.y * 0.5f + 0.5f) * mHeight);
  }
  std::pair<Vec3, Vec3> rayAt(ImVec2 px) const {
    const Mat4 inv = glm::inverse(mViewProjection);
    const float x = 2.0f * px.x / mWidth - 1.0f, y = 2.0f * px.y / mHeight - 1.0f;
    Vec4 a = inv * Vec4(x, y, 0.0f, 1.0f), b = inv * Vec4(x, y, 1.0f, 1.0f);
    const Vec3 near = Vec3(a) / a.w, far = Vec3(b) / b.w;
    return {mView.eye, glm::normalize(far - near)};
  }
  std::optional<SurfaceHit> pickAt(ImVec2 px) const {
    auto [origin, dir] = rayAt(px);
    return mModel.pick(origin, dir);
  }

  // --- overlays ------------------------------------------------------------------------------
  void line(ImDrawList* dl, const Vec3& a, const Vec3& b, ImU32 col, float thick = 1.5f) const {
    auto pa = project(a), pb = project(b);
    if (pa && pb) dl->AddLine(*pa, *pb, col, thick);
  }
  void label(ImDrawList* dl, const Vec3& p, ImU32 col, const std::string& text) {
    if (auto s = project(p)) {
      dl->AddText(ImVec2(s->x + 6.0f, s->y - 14.0f), col, text.c_str());
      mDrawn.emplace_back(text, *s);
    }
  }
  void box(ImDrawList* dl, const Vec3& center, const Vec3& half, ImU32 col, float thick = 1.5f) const {
    Vec3 c[8];
    for (int i = 0; i < 8; ++i)
      c[i] =
          center + Vec3((i & 1) ? half.x : -half.x, (i & 2) ? half.y : -half.y, (i & 4) ? half.z : -half.z);
    const int edges[12][2] = {{0, 1}, {2, 3}, {4, 5}, {6, 7}, {0, 2}, {1, 3},
                              {4, 6}, {5, 7}, {0, 4}, {1, 5}, {2, 6}, {3, 7}};
    for (const auto& e : edges) line(dl, c[e[0]], c[e[1]], col, thick);
  }
  void sphere(ImDrawList* dl, const Vec3& center, float r, ImU32 col, float thick = 1.5f) const {
    constexpr int kSegments = 40;
    for (int axis = 0; axis < 3; ++axis) {
      for (int i = 0; i < kSegments; ++i) {
        auto at = [&](int k) {
          const float a = glm::two_pi<float>() * static_cast<float>(k) / kSegments;
          const float u = r * std::cos(a), v = r * std::sin(a);
          return center + (axis == 0 ? Vec3(u, v, 0) : axis == 1 ? Vec3(u, 0, v) : Vec3(0, u, v));
        };
        line(dl, at(i), at(i + 1), col, thick);
      }
    }
  }

  void drawOverlays() {
    ImDrawList* dl = ImGui::GetBackgroundDrawList();
    mDrawn.clear();
    const scenario::ScenarioDesc* s = mModel.scenario();
    const float tableY = s ? s->tableHeight + 0.0005f : 0.9f;
    // The grid on the table, every centimetre round the field (every 5 cm stronger, labelled).
    const Vec3 c = mModel.fieldCenter();
    const float x0 = std::round(c.x * 100.0f) / 100.0f, z0 = std::round(c.z * 100.0f) / 100.0f;
    for (int i = -15; i <= 15; ++i) {
      const float o = 0.01f * static_cast<float>(i);
      const bool major = (i % 5) == 0;
      line(dl, {x0 + o, tableY, z0 - 0.15f}, {x0 + o, tableY, z0 + 0.15f}, major ? kGridMajor : kGrid, 1.0f);
      line(dl, {x0 - 0.15f, tableY, z0 + o}, {x0 + 0.15f, tableY, z0 + o}, major ? kGridMajor : kGrid, 1.0f);
      if (major && i != 15) {
        if (auto p = project({x0 + o, tableY, z0 + 0.155f}))
          dl->AddText(*p, kGridMajor, (cm(x0 + o) + " cm").c_str());
      }
    }
    // Axes at the grid's middle: X red, Y green, Z blue, 5 cm.
    const Vec3 origin(x0, tableY, z0);
    line(dl, origin, origin + Vec3(0.05f, 0, 0), IM_COL32(255, 60, 60, 255), 2.5f);
    line(dl, origin, origin + Vec3(0, 0.05f, 0), IM_COL32(60, 255, 60, 255), 2.5f);
    line(dl, origin, origin + Vec3(0, 0, 0.05f), IM_COL32(80, 120, 255, 255), 2.5f);
    if (!s) return;
    const scenario::Document& doc = mModel.document();
    // Tissues: bounds and node spacing when selected.
    for (const auto& t : mModel.sanity().tissues) {
      if (!(mSelection.section == "tissues" && mSelection.id == t.id)) continue;
      box(dl, (t.lo + t.hi) * 0.5f, (t.hi - t.lo) * 0.5f, kBoundsColour, 1.0f);
      char text[160];
      std::snprintf(text, sizeof text, "%s: %s x %s x %s cm, nodes %zu, spacing %.1f mm", t.id.c_str(),
                    cm(t.hi.x - t.lo.x).c_str(), cm(t.hi.y - t.lo.y).c_str(), cm(t.hi.z - t.lo.z).c_str(),
                    t.nodes, static_cast<double>(t.spacingM * 1000.0f));
      label(dl, t.hi, kBoundsColour, text);
    }
    // Regions: their sphere or box; others the box of the nodes they select.
    for (const auto& r : s->regions) {
      const bool sel = mSelection.section == "regions" && mSelection.id == r.id;
      const ImU32 col = sel ? kSelectedColour : kRegionColour;
      // Chosen at rest, drawn where that part of the tissue is now.
      const Vec3 at = mModel.restToNow(r.tissue, dragged("regions", r.id).value_or(r.selector.center));
      if (r.selector.kind == physics::NodeSelector::Kind::kSphere) {
        sphere(dl, at, r.selector.radius, col, sel ? 2.5f : 1.5f);
        label(dl, at, col, "region " + r.id);
      } else if (r.selector.kind == physics::NodeSelector::Kind::kBox) {
        box(dl, at, r.selector.halfExtents, col, sel ? 2.5f : 1.5f);
        label(dl, at, col, "region " + r.id);
      } else {
        for (const auto& e : mModel.sanity().regions) {
          if (e.id != r.id) continue;
          const Vec3 middle = mModel.restToNow(r.tissue, (e.lo + e.hi) * 0.5f);
          box(dl, middle, (e.hi - e.lo) * 0.5f + Vec3(0.0005f), col, sel ? 2.5f : 1.0f);
          label(dl, middle, col, "region " + r.id);
        }
      }
    }
    // Fixed selections (boxes and spheres), per tissue.
    for (const auto& t : s->tissues) {
      for (size_t i = 0; i < t.settings.fixed.size(); ++i) {
        const physics::NodeSelector& f = t.settings.fixed[i];
        const bool sel =
            mSelection.section == "fixed" && mSelection.id == t.settings.name && mSelection.index == i;
        const ImU32 col = sel ? kSelectedColour : kFixedColour;
        const Vec3 at = mModel.restToNow(t.settings.name, sel && mDrag ? mDrag->at : f.center);
        if (f.kind == physics::NodeSelector::Kind::kBox) {
          box(dl, at, f.halfExtents, col, sel ? 2.5f : 1.5f);
          label(dl, at + f.halfExtents, col, "fixed " + t.settings.name);
        } else if (f.kind == physics::NodeSelector::Kind::kSphere) {
          sphere(dl, at, f.radius, col, sel ? 2.5f : 1.5f);
          label(dl, at, col, "fixed " + t.settings.name);
        }
      }
    }
    // Pinned cloth corners and borders show as the tissue's pinned nodes.
    // Zones.
    for (const auto& z : s->zones) {
      const bool sel = mSelection.section == "zones" && mSelection.id == z.name;
      if (!z.around.empty()) {  // posts: each outlined where it stands (not dragged: move the post)
        bool labelled = false;
        for (const auto& o : s->objects) {
          if (std::find(z.around.begin(), z.around.end(), o.settings.name) == z.around.end()) continue;
          const Vec3 reach(o.settings.halfExtents.x + physics::kAroundSlack, o.settings.halfExtents.y,
                           o.settings.halfExtents.z + physics::kAroundSlack);
          box(dl, o.settings.pose.position, reach, sel ? kSelectedColour : kZoneColour, sel ? 2.5f : 1.5f);
          if (!labelled)
            label(dl, o.settings.pose.position + Vec3(0, reach.y, 0), sel ? kSelectedColour : kZoneColour,
                  "zone " + z.name);
          labelled = true;
        }
        continue;
      }
      const Vec3 at = dragged("zones", z.name).value_or(z.center);
      box(dl, at, z.halfExtents, sel ? kSelectedColour : kZoneColour, sel ? 2.5f : 1.5f);
      label(dl, at + Vec3(0, z.halfExtents.y, 0), sel ? kSelectedColour : kZoneColour, "zone " + z.name);
    }
    // Markings as laid on the surface.
    for (size_t i = 0; i < mModel.snapshot().tissues.size() && mModel.world(); ++i) {
      const std::string tissue(mModel.world()->tissueName({static_cast<uint32_t>(i)}));
      for (const auto& m : mModel.snapshot().tissues[i].markings) {
        std::vector<Vec3> now;
        for (const Vec3& p : m.points) now.push_back(mModel.restToNow(tissue, p));
        for (size_t k = 0; k + 1 < now.size(); ++k) line(dl, now[k], now[k + 1], kMarkingColour, 2.0f);
        if (m.closed && now.size() > 2) line(dl, now.back(), now.front(), kMarkingColour, 2.0f);
        if (!now.empty()) label(dl, now.front(), kMarkingColour, "marking " + m.name);
      }
    }
    // Ports and the laparoscope's frustum (10 cm deep).
    for (const auto& p : s->ports) {
      line(dl, p.position - Vec3(0.006f, 0, 0), p.position + Vec3(0.006f, 0, 0), kPortColour, 2.0f);
      line(dl, p.position - Vec3(0, 0.006f, 0), p.position + Vec3(0, 0.006f, 0), kPortColour, 2.0f);
      label(dl, p.position, kPortColour, "port " + p.id);
    }
    if (s->camera) {
      const Pose& cp = s->camera->pose;
      const float h = std::tan(s->camera->verticalFovRad * 0.5f) * 0.1f, w = h * 4.0f / 3.0f;
      Vec3 corners[4];
      for (int i = 0; i < 4; ++i)
        corners[i] = cp.position + cp.orientation * Vec3((i & 1) ? w : -w, (i & 2) ? h : -h, -0.1f);
      for (int i = 0; i < 4; ++i) line(dl, cp.position, corners[i], kPortColour, 1.0f);
      line(dl, corners[0], corners[1], kPortColour, 1.0f);
      line(dl, corners[1], corners[3], kPortColour, 1.0f);
      line(dl, corners[3], corners[2], kPortColour, 1.0f);
      line(dl, corners[2], corners[0], kPortColour, 1.0f);
      label(dl, cp.position, kPortColour, "laparoscope");
    }
    // The line being drawn.
    for (size_t k = 0; k + 1 < mLine.size(); ++k)
      line(dl, mModel.restToNow(mLineTissue, mLine[k]), mModel.restToNow(mLineTissue, mLine[k + 1]),
           kSelectedColour, 2.0f);
    // Where the mouse meets the surface.
    if (mHover) {
      if (auto p = project(mHover->point)) dl->AddCircle(*p, 5.0f, kSelectedColour, 16, 1.5f);
    }
    (void)doc;
  }

  std::optional<Vec3> dragged(const std::string& section, const std::string& id) const {
    if (mDrag && mSelection.section == section && mSelection.id == id) return mDrag->at;
    return std::nullopt;
  }

  // --- input ---------------------------------------------------------------------------------
  void report(const Result<void>& r, const std::string& done) {
    mStatus = r ? done : r.error().message + (r.error().hint.empty() ? "" : " (" + r.error().hint + ")");
    mStatusBad = !r;
    TROCAR_LOG_INFO("author: %s", mStatus.c_str());
  }

  // Keys come from the window's own callback as presses (each seen once, even when pressed
  // and let go between two frames of a slow machine: ImGui 1.86 polls key state per frame).
  void handleKeys() {
    const ImGuiIO& io = ImGui::GetIO();
    std::vector<KeyPress> presses = std::move(gKeyPresses);
    gKeyPresses.clear();
    if (io.WantTextInput) return;
    for (const KeyPress& k : presses) {
      const bool ctrl = (k.mods & GLFW_MOD_CONTROL) != 0;
      if (ctrl && k.key == GLFW_KEY_S) save();
      if (ctrl && k.key == GLFW_KEY_Z)
        report(mModel.undo() ? Result<void>{}
                             : Result<void>(makeError(ErrorCode::kInvalidInput, "nothing to undo")),
               "undone");
      if (ctrl && k.key == GLFW_KEY_Y)
        report(mModel.redo() ? Result<void>{}
                             : Result<void>(makeError(ErrorCode::kInvalidInput, "nothing to redo")),
               "redone");
      if (k.key == GLFW_KEY_F5) tryIt(false);
      if (k.key == GLFW_KEY_F6) tryIt(true);
      if (!ctrl && k.key >= GLFW_KEY_1 && k.key <= GLFW_KEY_6) {  // the modes, as the panel lists them
        mMode = static_cast<Mode>(k.key - GLFW_KEY_1);
        mLine.clear();
        TROCAR_LOG_INFO("author: mode %s", kModeNames[k.key - GLFW_KEY_1]);
      }
      if (k.key == GLFW_KEY_LEFT_BRACKET) resizeSelected(0.8f);
      if (k.key == GLFW_KEY_RIGHT_BRACKET) resizeSelected(1.25f);
      if (k.key == GLFW_KEY_DELETE) removeSelected();
      if (k.key == GLFW_KEY_ENTER && mMode == Mode::kLine) finishLine();
      if (k.key == GLFW_KEY_ESCAPE) {
        if (!mLine.empty()) {
          mLine.clear();
        } else if (mModel.dirty() && !mQuitAsked) {
          mQuitAsked = true;
          mStatus = "Unsaved changes: Esc again quits without saving, Ctrl+S saves";
          mStatusBad = true;
        } else {
          mQuit = true;
        }
      }
    }
  }

  void handleMouse() {
    const ImGuiIO& io = ImGui::GetIO();
    const ImVec2 mouse = io.MousePos;
    const bool inside = mouse.x >= 0 && mouse.y >= 0 && mouse.x < mWidth && mouse.y < mHeight;
    // Picked again only when the mouse, the camera or the scenario changed.
    const bool over = inside && !io.WantCaptureMouse;
    const Vec2 at = over ? Vec2(mouse.x, mouse.y) : Vec2(-1.0f);
    if (at != mHoverMouse || mViewProjection != mHoverCamera || mModel.version() != mHoverVersion) {
      mHover = over ? pickAt(mouse) : std::nullopt;
      mHoverMouse = at;
      mHoverCamera = mViewProjection;
      mHoverVersion = mModel.version();
    }
    if (io.WantCaptureMouse && !mDrag) return;
    // Camera.
    const ImVec2 d = io.MouseDelta;
    const bool pan = ImGui::IsMouseDown(2) || (ImGui::IsMouseDown(1) && io.KeyShift);
    if (pan) {
      const Pose p = mCamera.pose();
      const float k = mCamera.distance * 0.0015f;
      mCamera.target += p.orientation * Vec3(-d.x * k, d.y * k, 0.0f);
    } else if (ImGui::IsMouseDown(1)) {
      mCamera.yaw -= 0.008f * d.x;
      mCamera.pitch = std::clamp(mCamera.pitch + 0.008f * d.y, -1.45f, 1.45f);
    }
    if (io.MouseWheel != 0.0f)
      mCamera.distance = std::clamp(mCamera.distance * std::pow(0.88f, io.MouseWheel), 0.03f, 3.0f);
    // Dragging a selected region, zone or fixed box over the surface.
    if (mDrag) {
      if (ImGui::IsMouseDown(0)) {
        if (mHover)
          mDrag->at =
              (mDrag->restSpace && !mHover->tissue.empty() ? mHover->rest : mHover->point) + mDrag->lift;
      } else {
        finishDrag();
      }
      return;
    }
    if (!ImGui::IsMouseClicked(0) || !inside) return;
    const std::optional<SurfaceHit> hit = mHover;
    switch (mMode) {
      case Mode::kSelect: selectAt(mouse, hit); break;
      case Mode::kRegion:
        if (hit && !hit->tissue.empty()) {
          // At least 5 mm, and wide enough to hold a few of the tissue's nodes.
          float radius = 0.005f;
          for (const auto& t : mModel.sanity().tissues) {
            if (t.id == hit->tissue) radius = std::max(radius, 1.5f * t.spacingM);
          }
          auto id = mModel.addRegion(hit->tissue, hit->rest, radius);
          report(id ? Result<void>{} : Result<void>(id.error()), id ? "added region " + id.value() : "");
          if (id) mSelection = {"regions", id.value()};
        } else {
          report(Result<void>(makeError(ErrorCode::kInvalidInput, "a region is made on a tissue: click one")),
                 "");
        }
        break;
      case Mode::kZone:
        if (hit) {
          auto id = mModel.addZone(hit->point + Vec3(0, 0.02f, 0), Vec3(0.04f));
          report(id ? Result<void>{} : Result<void>(id.error()), id ? "added zone " + id.value() : "");
          if (id) mSelection = {"zones", id.value()};
        }
        break;
      case Mode::kFixed:
        if (hit && !hit->tissue.empty()) {
          auto i = mModel.addFixedBox(hit->tissue, hit->rest, Vec3(0.01f));
          report(i ? Result<void>{} : Result<void>(i.error()),
                 i ? "pinned " + hit->tissue + " in a box" : "");
          if (i) mSelection = {"fixed", hit->tissue, i.value()};
        }
        break;
      case Mode::kCircle:
        if (hit && !hit->tissue.empty()) {
          auto id = mModel.addMarkingCircle(hit->tissue, hit->rest, 0.02f);
          report(id ? Result<void>{} : Result<void>(id.error()), id ? "marked circle " + id.value() : "");
        }
        break;
      case Mode::kLine:
        if (hit && !hit->tissue.empty() && (mLine.empty() || hit->tissue == mLineTissue)) {
          mLineTissue = hit->tissue;
          mLine.push_back(hit->rest);
          mStatus = std::to_string(mLine.size()) + " points on " + mLineTissue + ": Enter ends the line";
          mStatusBad = false;
        }
        break;
    }
  }

  void selectAt(ImVec2 mouse, const std::optional<SurfaceHit>& hit) {
    const scenario::ScenarioDesc* s = mModel.scenario();
    if (!s) return;
    // Nearest label-point within 14 px: regions, zones, fixed boxes.
    float best = 14.0f;
    std::optional<Selection> pick;
    Vec3 at(0.0f), lift(0.0f);
    auto consider = [&](const Selection& sel, const Vec3& p, const Vec3& up, const std::string& tissue = {}) {
      if (auto q = project(tissue.empty() ? p : mModel.restToNow(tissue, p))) {
        const float dist = std::hypot(q->x - mouse.x, q->y - mouse.y);
        if (dist < best) {
          best = dist;
          pick = sel;
          at = p;
          lift = up;
        }
      }
    };
    for (const auto& r : s->regions) {
      if (r.selector.kind == physics::NodeSelector::Kind::kSphere ||
          r.selector.kind == physics::NodeSelector::Kind::kBox)
        consider({"regions", r.id}, r.selector.center, Vec3(0.0f), r.tissue);
    }
    for (const auto& z : s->zones) {
      if (z.around.empty()) consider({"zones", z.name}, z.center, Vec3(0, z.halfExtents.y, 0));
    }
    for (const auto& t : s->tissues) {
      for (size_t i = 0; i < t.settings.fixed.size(); ++i) {
        const auto& f = t.settings.fixed[i];
        if (f.kind == physics::NodeSelector::Kind::kBox || f.kind == physics::NodeSelector::Kind::kSphere)
          consider({"fixed", t.settings.name, i}, f.center, Vec3(0.0f), t.settings.name);
      }
    }
    if (pick) {
      mSelection = *pick;
      mDrag = Drag{at, at, pick->section != "zones", lift};
      return;
    }
    if (hit && !hit->tissue.empty())
      mSelection = {"tissues", hit->tissue};
    else if (hit && !hit->object.empty())
      mSelection = {"objects", hit->object};
    else
      mSelection = {};
  }

  void finishDrag() {
    Drag d = *mDrag;
    mDrag.reset();
    if (glm::length(d.at - d.from) < 1e-5f) return;  // a click, not a drag
    if (mSelection.section == "regions")
      report(mModel.moveRegion(mSelection.id, d.at), "moved region " + mSelection.id);
    else if (mSelection.section == "zones")
      report(mModel.moveZone(mSelection.id, d.at), "moved zone " + mSelection.id);
    else if (mSelection.section == "fixed")
      report(mModel.moveFixedBox(mSelection.id, mSelection.index, d.at),
             "moved a fixed box of " + mSelection.id);
  }

  void finishLine() {
    auto id = mModel.addMarkingLine(mLineTissue, mLine, false);
    report(id ? Result<void>{} : Result<void>(id.error()), id ? "marked line " + id.value() : "");
    mLine.clear();
  }

  void resizeSelected(float scale) {
    if (mSelection.section == "regions") {
      report(mModel.resizeRegion(mSelection.id, scale), "resized region " + mSelection.id);
    } else if (mSelection.section == "zones") {
      const YamlNode* z = mModel.document().root.get("zones");
      if (auto size = vecAt(z ? z->findId(mSelection.id) : nullptr, {"size"}))
        report(mModel.resizeZone(mSelection.id, *size * scale), "resized zone " + mSelection.id);
    }
  }

  void removeSelected() {
    if (mSelection.section.empty() || mSelection.section == "fixed" || mSelection.section == "tissues")
      return;
    report(mModel.removeItem(mSelection.section, mSelection.id), "removed " + mSelection.id);
    mSelection = {};
  }

  void save() { report(mModel.save(), "saved " + mModel.file().string()); }

  // Try (F5): the document as it stands, in a trainee's window; Record reference: saved
  // first, recorded beside the scenario for `trocar calibrate`.
  void tryIt(bool record) {
    if (mSettings.trocar.empty()) return;
    fs::path scenarioFile;
    fs::path temp;
    std::string extra = " --no-record";
    if (record) {
      save();
      if (mStatusBad) return;
      scenarioFile = mModel.file();
      const fs::path dir = mModel.file().parent_path() / "recordings";
      std::error_code ec;
      fs::create_directories(dir, ec);
      char stamp[32];
      const std::time_t now = std::time(nullptr);
      std::tm local{};
      localtime_r(&now, &local);
      std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &local);
      const std::string id = mModel.scenario() ? mModel.scenario()->id : std::string("scenario");
      mLastRecording = dir / (id + "-reference-" + stamp + ".trec");
      extra = " --record '" + mLastRecording.string() + "'";
    } else {
      temp = mModel.file().parent_path() / ("." + mModel.file().stem().string() + ".try.yaml");
      if (auto w = writeFileAtomic(temp, mModel.text()); !w) {
        report(w, "");
        return;
      }
      scenarioFile = temp;
    }
    const std::string cmd =
        "'" + mSettings.trocar.string() + "' run '" + scenarioFile.string() + "' --rig desktop" + extra;
    TROCAR_LOG_INFO("author: %s", cmd.c_str());
    mPendingCommand = cmd;
    mPendingTemp = temp;
    mPendingRecord = record;
  }

 public:
  // Runs what Try asked for (outside ImGui's frame: the window hides meanwhile).
  void runPending(GLFWwindow* window) {
    if (mPendingCommand.empty()) return;
    const std::string cmd = std::move(mPendingCommand);
    mPendingCommand.clear();
    glfwHideWindow(window);
    const int rc = std::system(cmd.c_str());
    glfwShowWindow(window);
    std::error_code ec;
    if (!mPendingTemp.empty()) fs::remove(mPendingTemp, ec);
    if (mPendingRecord)
      report(rc >= 0 && fs::exists(mLastRecording, ec)
                 ? Result<void>{}
                 : Result<void>(makeError(ErrorCode::kIo, "the run did not record")),
             "recorded " + mLastRecording.string() + " (trocar calibrate takes it as an expert)");
    else
      report({}, "tried");
  }

 private:
  // --- panels --------------------------------------------------------------------------------
  void scenarioPanel() {
    ImGui::SetNextWindowPos(ImVec2(8, 8), ImGuiCond_Always);
    ImGui::SetNextWindowSize(ImVec2(290, mHeight - 180.0f), ImGuiCond_Always);
    ImGui::SetNextWindowBgAlpha(0.85f);
    ImGui::Begin("Scenario", nullptr,
                 ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse);
    ImGui::TextUnformatted((mModel.file().filename().string() + (mModel.dirty() ? " *" : "")).c_str());
    if (ImGui::Button("Save")) save();
    ImGui::SameLine();
    ImGui::BeginDisabled(!mModel.canUndo());
    if (ImGui::Button("Undo")) mModel.undo();
    ImGui::EndDisabled();
    ImGui::SameLine();
    ImGui::BeginDisabled(!mModel.canRedo());
    if (ImGui::Button("Redo")) mModel.redo();
    ImGui::EndDisabled();
    ImGui::SameLine();
    ImGui::BeginDisabled(mModel.scenario() == nullptr || mSettings.trocar.empty());
    if (ImGui::Button("Try")) tryIt(false);
    ImGui::SameLine();
    if (ImGui::Button("Record reference")) tryIt(true);
    ImGui::EndDisabled();
    ImGui::Separator();
    for (int m = 0; m < 6; ++m) {
      if (m % 3) ImGui::SameLine();
      if (ImGui::RadioButton(kModeNames[m], mMode == static_cast<Mode>(m))) {
        mMode = static_cast<Mode>(m);
        mLine.clear();
      }
    }
    ImGui::Separator();
    if (ImGui::Selectable("(the scenario)", mSelection.section.empty() && mSelection.id.empty()))
      mSelection = {};
    const scenario::YamlNode& root = mModel.document().root;
    for (const char* section : {"tissues", "regions", "objects", "zones", "checklist", "errors"}) {
      const YamlNode* list = root.get(section);
      const size_t n = list && list->isSequence() ? list->items.size() : 0;
      const std::string header = std::string(section) + " (" + std::to_string(n) + ")";
      if (!ImGui::CollapsingHeader(header.c_str(), ImGuiTreeNodeFlags_DefaultOpen)) continue;
      for (size_t i = 0; i < n; ++i) {
        const std::string id = textAt(&list->items[i], "id");
        const std::string shown = "  " + id + "##" + section + std::to_string(i);
        if (ImGui::Selectable(shown.c_str(), mSelection.section == section && mSelection.id == id))
          mSelection = {section, id};
      }
    }
    ImGui::End();
  }

  // An editable number that commits when left.
  bool numberField(const char* labelText, const std::string& key, double value, double* out,
                   const char* format = "%.4g") {
    double& v = mNumbers.try_emplace(key, value).first->second;
    ImGui::InputDouble(labelText, &v, 0.0, 0.0, format);
    if (ImGui::IsItemDeactivatedAfterEdit()) {
      *out = v;
      mNumbers.erase(key);
      return true;
    }
    if (!ImGui::IsItemActive()) v = value;
    return false;
  }
  bool vectorField(const char* labelText, const std::string& key, const Vec3& metres, Vec3* out) {
    Vec3& v = mVectors.try_emplace(key, metres * 100.0f).first->second;
    ImGui::InputFloat3(labelText, &v.x, "%.2f");
    if (ImGui::IsItemDeactivatedAfterEdit()) {
      *out = v / 100.0f;
      mVectors.erase(key);
      return true;
    }
    if (!ImGui::IsItemActive()) v = metres * 100.0f;
    return false;
  }
  bool textField(const char* labelText, const std::string& key, const std::string& value, std::string* out) {
    std::string& v = mTexts.try_emplace(key, value).first->second;
    ImGui::InputText(labelText, &v);
    if (ImGui::IsItemDeactivatedAfterEdit()) {
      *out = v;
      mTexts.erase(key);
      return true;
    }
    if (!ImGui::IsItemActive()) v = value;
    return false;
  }

  void propertiesPanel() {
    ImGui::SetNextWindowPos(ImVec2(mWidth - 8.0f, 8.0f), ImGuiCond_Always, ImVec2(1, 0));
    ImGui::SetNextWindowSize(ImVec2(360, 300), ImGuiCond_Always);
    ImGui::SetNextWindowBgAlpha(0.85f);
    ImGui::Begin("Properties", nullptr,
                 ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse);
    const YamlNode& root = mModel.document().root;
    const YamlNode* list =
        mSelection.section.empty() || mSelection.section == "fixed" ? nullptr : root.get(mSelection.section);
    const YamlNode* item = list ? list->findId(mSelection.id) : nullptr;
    const std::string& sec = mSelection.section;
    const std::string& id = mSelection.id;
    const std::string key = sec + "/" + id + "/";
    double number = 0.0;
    Vec3 v(0.0f);
    std::string text;
    if (sec.empty()) {
      ImGui::TextUnformatted("The scenario");
      if (textField("title", key + "title", textAt(&root, "title"), &text))
        report(mModel.setField("", "", "title", YamlNode::scalar(text)), "title set");
      if (numberField("time limit (s)", key + "time", numberAt(&root, {"time_limit_s"}).value_or(600),
                      &number))
        report(mModel.setField("", "", "time_limit_s", YamlNode::number(number)), "time limit set");
      if (numberField("pass score", key + "pass", numberAt(&root, {"scoring", "pass_score"}).value_or(0),
                      &number))
        report(mModel.setField("", "", "scoring.pass_score", YamlNode::number(number)), "pass score set");
    } else if (sec == "fixed") {
      ImGui::Text("Fixed selection %zu of %s", mSelection.index + 1, id.c_str());
      ImGui::TextWrapped("Drag it over the surface; its nodes are pinned where they rest.");
    } else if (!item) {
      ImGui::Text("%s '%s' is gone", sec.c_str(), id.c_str());
    } else if (sec == "regions") {
      ImGui::Text("Region %s on %s", id.c_str(), textAt(item, "tissue").c_str());
      for (const char* shape : {"sphere", "box"}) {
        const YamlNode* s = item->get(shape);
        if (!s) continue;
        if (vectorField("centre (cm)", key + "c", vecAt(s, {"center"}).value_or(Vec3(0.0f)), &v))
          report(mModel.moveRegion(id, v), "moved region " + id);
        if (std::string(shape) == "sphere") {
          const double r = numberAt(s, {"radius"}).value_or(0.005);
          if (numberField("radius (cm)", key + "r", r * 100.0, &number, "%.2f") && r > 0.0)
            report(mModel.resizeRegion(id, static_cast<float>(number / 100.0 / r)), "resized region " + id);
        } else if (vectorField("size (cm)", key + "s", vecAt(s, {"size"}).value_or(Vec3(0.01f)), &v)) {
          report(mModel.setField("regions", id, "box.size", YamlNode::vector(v)), "resized region " + id);
        }
      }
      for (const auto& e : mModel.sanity().regions) {
        if (e.id == id) ImGui::Text("selects %zu nodes", e.nodes);
      }
    } else if (sec == "zones") {
      ImGui::Text("Zone %s", id.c_str());
      if (vectorField("centre (cm)", key + "c", vecAt(item, {"center"}).value_or(Vec3(0.0f)), &v))
        report(mModel.moveZone(id, v), "moved zone " + id);
      if (vectorField("size (cm)", key + "s", vecAt(item, {"size"}).value_or(Vec3(0.04f)), &v))
        report(mModel.resizeZone(id, v), "resized zone " + id);
    } else if (sec == "tissues") {
      ImGui::Text("Tissue %s", id.c_str());
      for (const auto& t : mModel.sanity().tissues) {
        if (t.id != id) continue;
        ImGui::Text("%s x %s x %s cm, %zu nodes (%zu pinned)", cm(t.hi.x - t.lo.x).c_str(),
                    cm(t.hi.y - t.lo.y).c_str(), cm(t.hi.z - t.lo.z).c_str(), t.nodes, t.pinned);
        ImGui::Text("node spacing %.1f mm, %.3g kg", static_cast<double>(t.spacingM * 1000.0f),
                    static_cast<double>(t.massKg));
      }
      struct Field {
        const char* key;
        const char* shown;
        double fallback;
      };
      for (const Field& f :
           {Field{"mass_kg", "mass (kg)", 0.0}, Field{"damage_force_n", "damage force (N)", 0.0},
            Field{"tear_force_n", "tear force (N)", 0.0}, Field{"stretch", "stretch (0-1)", 0.0},
            Field{"volume", "volume (0-1)", 0.0}, Field{"bend", "bend (0-1)", 0.0},
            Field{"damping", "damping (0-0.99)", 0.0}, Field{"friction", "friction (0-1)", 0.0}}) {
        const auto value = numberAt(item, {"material", f.key});
        if (numberField(f.shown, key + f.key, value.value_or(f.fallback), &number))
          report(mModel.setField("tissues", id, std::string("material.") + f.key, YamlNode::number(number)),
                 std::string(f.key) + " set");
      }
      const Vec3 colour = vecAt(item, {"appearance", "color"}).value_or(Vec3(0.78f, 0.36f, 0.33f));
      Vec3& c = mVectors.try_emplace(key + "colour", colour).first->second;
      ImGui::ColorEdit3("colour", &c.x);
      if (ImGui::IsItemDeactivatedAfterEdit()) {
        report(mModel.setField("tissues", id, "appearance.color", YamlNode::vector(c)), "colour set");
        mVectors.erase(key + "colour");
      } else if (!ImGui::IsItemActive()) {
        c = colour;
      }
    } else if (sec == "objects") {
      ImGui::Text("Object %s", id.c_str());
      if (vectorField("position (cm)", key + "p", vecAt(item, {"position"}).value_or(Vec3(0.0f)), &v))
        report(mModel.setField("objects", id, "position", YamlNode::vector(v)), "moved " + id);
      if (vectorField("size (cm)", key + "s", vecAt(item, {"size"}).value_or(Vec3(0.01f)), &v))
        report(mModel.setField("objects", id, "size", YamlNode::vector(v)), "resized " + id);
      if (numberField("mass (kg)", key + "m", numberAt(item, {"mass_kg"}).value_or(0.0), &number))
        report(mModel.setField("objects", id, "mass_kg", YamlNode::number(number)), "mass set");
    } else if (sec == "checklist" || sec == "errors") {
      const char* conditionKey = sec == "checklist" ? "done_when" : "when";
      if (textField("title", key + "t", textAt(item, "title"), &text))
        report(mModel.setField(sec, id, "title", YamlNode::scalar(text)), "title set");
      if (textField(conditionKey, key + "w", textAt(item, conditionKey), &text)) {
        YamlNode c = YamlNode::scalar(text);
        c.quote = '"';
        report(mModel.setField(sec, id, conditionKey, c), "condition set");
      }
      if (sec == "checklist") {
        if (textField("prompt", key + "p", textAt(item, "prompt"), &text))
          report(mModel.setField(sec, id, "prompt", YamlNode::scalar(text)), "prompt set");
        if (numberField("weight", key + "g", numberAt(item, {"weight"}).value_or(1.0), &number))
          report(mModel.setField(sec, id, "weight", YamlNode::number(number)), "weight set");
      } else if (numberField("penalty", key + "n", numberAt(item, {"penalty"}).value_or(0.0), &number)) {
        report(mModel.setField(sec, id, "penalty", YamlNode::number(number)), "penalty set");
      }
    }
    ImGui::End();
  }

  void templatePanel() {
    ImGui::SetNextWindowPos(ImVec2(mWidth - 8.0f, 316.0f), ImGuiCond_Always, ImVec2(1, 0));
    ImGui::SetNextWindowSize(ImVec2(360, 230), ImGuiCond_Always);
    ImGui::SetNextWindowBgAlpha(0.85f);
    ImGui::Begin("Add a step or error rule", nullptr,
                 ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse);
    using K = ConditionTemplate::Kind;
    int kind = static_cast<int>(mTemplate.kind);
    if (ImGui::BeginCombo("template", templateName(mTemplate.kind))) {
      for (int k = 0; k <= static_cast<int>(K::kForceAbove); ++k) {
        if (ImGui::Selectable(templateName(static_cast<K>(k)), k == kind)) mTemplate.kind = static_cast<K>(k);
      }
      ImGui::EndCombo();
    }
    const scenario::ScenarioDesc* s = mModel.scenario();
    std::vector<std::string> targets, places;
    if (s) {
      const bool objects = mTemplate.kind == K::kPlacedIn;
      const bool tissuesOnly = mTemplate.kind == K::kCutInRegion;
      if (!objects) {
        for (const auto& t : s->tissues) targets.push_back(t.settings.name);
        if (!tissuesOnly) {
          for (const auto& r : s->regions) targets.push_back(r.id);
        }
      }
      if (!tissuesOnly && mTemplate.kind != K::kClipsOn) {
        for (const auto& o : s->objects) targets.push_back(o.settings.name);
      }
      if (objects) {
        for (const auto& z : s->zones) places.push_back(z.name);
      } else if (tissuesOnly) {
        places.emplace_back();
        for (const auto& r : s->regions) {
          if (r.tissue == mTemplate.target) places.push_back(r.id);
        }
      }
    }
    auto combo = [](const char* name, std::string& value, const std::vector<std::string>& options) {
      if (ImGui::BeginCombo(name, value.empty() ? "(none)" : value.c_str())) {
        for (const auto& o : options) {
          if (ImGui::Selectable(o.empty() ? "(none)" : o.c_str(), o == value)) value = o;
        }
        ImGui::EndCombo();
      }
    };
    const bool handed = mTemplate.kind == K::kGrasp || mTemplate.kind == K::kContact ||
                        mTemplate.kind == K::kHeldFor || mTemplate.kind == K::kForceBelow;
    if (handed) combo("hand", mTemplate.hand, {"left", "right"});
    combo("target", mTemplate.target, targets);
    if (mTemplate.kind == K::kPlacedIn) combo("zone", mTemplate.region, places);
    if (mTemplate.kind == K::kCutInRegion) combo("region", mTemplate.region, places);
    if (mTemplate.kind == K::kClipsOn || mTemplate.kind == K::kPlacedIn)
      ImGui::InputInt("count", &mTemplate.count);
    if (mTemplate.kind == K::kHeldFor) ImGui::InputDouble("seconds", &mTemplate.seconds);
    if (mTemplate.kind == K::kForceBelow || mTemplate.kind == K::kForceAbove)
      ImGui::InputDouble("newtons", &mTemplate.newtons);
    ImGui::TextWrapped("writes: %s", conditionFor(mTemplate).c_str());
    if (ImGui::Button("Add step")) {
      auto id = mModel.addStep(mTemplate);
      report(id ? Result<void>{} : Result<void>(id.error()), id ? "added step " + id.value() : "");
      if (id) mSelection = {"checklist", id.value()};
    }
    ImGui::SameLine();
    if (ImGui::Button("Add error rule (penalty 5)")) {
      auto id = mModel.addErrorRule(mTemplate, 5.0);
      report(id ? Result<void>{} : Result<void>(id.error()), id ? "added error rule " + id.value() : "");
      if (id) mSelection = {"errors", id.value()};
    }
    ImGui::End();
  }

  void problemsPanel() {
    const std::vector<Problem> problems = mModel.problems();
    ImGui::SetNextWindowPos(ImVec2(8.0f, mHeight - 164.0f), ImGuiCond_Always);
    ImGui::SetNextWindowSize(ImVec2(mWidth * 0.62f, 130.0f), ImGuiCond_Always);
    ImGui::SetNextWindowBgAlpha(0.85f);
    const std::string title =
        problems.empty() ? std::string("Validation: all well###problems")
                         : "Validation: " + std::to_string(problems.size()) + " to look at###problems";
    ImGui::Begin(title.c_str(), nullptr,
                 ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse);
    for (size_t i = 0; i < problems.size(); ++i) {
      const Problem& p = problems[i];
      ImGui::PushStyleColor(ImGuiCol_Text,
                            p.warning ? ImVec4(1.0f, 0.8f, 0.2f, 1.0f) : ImVec4(1.0f, 0.35f, 0.3f, 1.0f));
      const std::string text = std::string(p.warning ? "warning " : "error ") + "line " +
                               std::to_string(p.error.where.line) + ": " + p.error.message +
                               (p.error.hint.empty() ? "" : " (" + p.error.hint + ")") + "##p" +
                               std::to_string(i);
      if (ImGui::Selectable(text.c_str()) && !p.section.empty()) mSelection = {p.section, p.id};
      ImGui::PopStyleColor();
    }
    ImGui::End();
  }

  void statusLine() {
    ImGui::SetNextWindowPos(ImVec2(8.0f, mHeight - 30.0f), ImGuiCond_Always);
    ImGui::SetNextWindowBgAlpha(0.6f);
    ImGui::Begin("status", nullptr,
                 ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoMove |
                     ImGuiWindowFlags_NoFocusOnAppearing | ImGuiWindowFlags_NoInputs);
    std::string where = "mode " + std::string(kModeNames[static_cast<int>(mMode)]);
    if (mHover) {
      where += "   x " + cm(mHover->point.x) + "  y " + cm(mHover->point.y) + "  z " + cm(mHover->point.z) +
               " cm on " +
               (!mHover->tissue.empty()   ? mHover->tissue
                : !mHover->object.empty() ? mHover->object
                                          : "the table");
    }
    ImGui::TextUnformatted(where.c_str());
    if (!mStatus.empty()) {
      ImGui::SameLine();
      ImGui::TextColored(mStatusBad ? ImVec4(1, 0.4f, 0.3f, 1) : ImVec4(0.6f, 1, 0.6f, 1), "   %s",
                         mStatus.c_str());
    }
    ImGui::End();
  }

  struct Drag {
    Vec3 from{0.0f}, at{0.0f};  // where it was and is (regions, fixed: at rest; zones: in space)
    bool restSpace = true;
    Vec3 lift{0.0f};  // zones sit on the surface: their centre is half their height up
  };

  AuthorModel& mModel;
  const AuthorSettings& mSettings;
  FreeCamera mCamera;
  render::View mView;
  Mat4 mViewProjection{1.0f};
  float mWidth = 1.0f, mHeight = 1.0f;
  Mode mMode = Mode::kSelect;
  Selection mSelection;
  std::optional<Drag> mDrag;
  std::optional<SurfaceHit> mHover;
  Vec2 mHoverMouse{-2.0f};  // the mouse, camera and scenario it was picked for
  Mat4 mHoverCamera{0.0f};
  uint64_t mHoverVersion = 0;
  std::vector<Vec3> mLine;
  std::string mLineTissue;
  ConditionTemplate mTemplate;
  std::map<std::string, double> mNumbers;
  std::map<std::string, Vec3> mVectors;
  std::map<std::string, std::string> mTexts;
  std::string mStatus;
  bool mStatusBad = false;
  bool mQuit = false, mQuitAsked = false;
  std::string mLoggedText;
  std::vector<std::pair<std::string, ImVec2>> mDrawn;
  std::string mPendingCommand;
  fs::path mPendingTemp, mLastRecording;
  bool mPendingRecord = false;
};

}  // namespace

Result<void> runAuthorWindow(AuthorModel& model, const AuthorSettings& settings,
                             const std::atomic<bool>& stop) {
  ToolWindow::Settings tw;
  tw.title = "Trocar author - " + model.file().filename().string();
  tw.width = settings.width;
  tw.height = settings.height;
  tw.validation = settings.validation;
  tw.gpu = settings.gpu;
  tw.noDisplay = "no display for the editor";
  tw.noDisplayHint =
      "set DISPLAY or run under xvfb-run; `trocar validate --explain` checks a scenario without one";
  auto opened = ToolWindow::open(tw);
  if (!opened) return opened.error();
  ToolWindow& tool = *opened.value();
  GLFWwindow* window = tool.window();
  render::Renderer& r = tool.renderer();
  gKeyPresses.clear();
  glfwSetKeyCallback(window, onKey);  // before ImGui's backend, which calls it on

  Editor editor(model, settings);
  std::unique_ptr<ScenePresenter> presenter;
  Hash64 presented = 0;  // the content hash the presenter was made for
  bool platformReady = false;
  render::UiPanel overlay;
  overlay.overlay = true;
  overlay.platformNewFrame = [&] {
    if (!platformReady) {  // ImGui's context exists from the renderer's first UI frame on
      ImGui_ImplGlfw_InitForVulkan(window, true);
      platformReady = true;
    }
    ImGui_ImplGlfw_NewFrame();
  };
  int width = 1, height = 1;
  overlay.build = [&] { editor.build(width, height); };
  render::FrameScene scene;
  Result<void> outcome;
  Clock::time_point lastFrame = Clock::now();
  for (int frame = 0; !stop.load() && !glfwWindowShouldClose(window) && !editor.wantsQuit(); ++frame) {
    glfwPollEvents();
    glfwGetFramebufferSize(window, &width, &height);
    if (width <= 0 || height <= 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    const scenario::ScenarioDesc* s = model.scenario();
    if (s && (!presenter || presented != s->contentHash)) {  // a new world: draw it
      presenter.reset();
      auto made = ScenePresenter::create(r, *s);
      if (!made) return made.error();
      presenter = std::move(made.value());
      presented = s->contentHash;
    }
    scene = render::FrameScene{};
    if (presenter) {
      presenter->buildFrame(model.snapshot(), scene);
      if (presenter->laparoscopic())
        ScenePresenter::showEndoscopeOnly(scene);  // the box would hide the field
      scene.endoscope.reset();
    }
    scene.views[0] = editor.view();  // the last frame's camera; the UI sets this frame's
    const Clock::time_point now = Clock::now();
    overlay.deltaSeconds = std::max(1e-3f, std::chrono::duration<float>(now - lastFrame).count());
    lastFrame = now;
    scene.ui = &overlay;
    // The camera follows the aspect before the UI has run once.
    if (frame == 0)
      scene.views[0] = monoView(Pose{}, kFovRad, static_cast<float>(width) / static_cast<float>(height));
    if (auto drawn = r.drawFrame(tool.target(), scene); !drawn) {
      outcome = drawn.error();
      break;
    }
    if (frame >= 2) editor.logPlaces();
    editor.runPending(window);
    if (settings.frames > 0 && frame + 1 >= settings.frames) break;
  }
  if (!settings.screenshot.empty() && outcome) {  // the last frame again, offscreen, with its overlay
    scene.views[0] = editor.view();
    if (auto shot = tool.screenshot(scene, settings.screenshot); !shot)
      TROCAR_LOG_ERROR("screenshot: %s", shot.error().toString().c_str());
  }
  r.finish();
  if (platformReady) ImGui_ImplGlfw_Shutdown();
  presenter.reset();
  return outcome;
}

}  // namespace trocar::app
