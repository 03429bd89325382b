#pragma once
// `trocar author`: what the scenario editor shows and does, without a window. The editor
// (AuthorWindow.cpp) turns mouse and keyboard into these calls; tests make the same calls.
//
// The model holds the scenario as a Document (trocar/scenario/Document.h), what it compiles
// to, and the world built from the last scenario that compiled, settled for a second as the
// trainee first sees it (what is drawn, picked and measured). Every operation edits the
// document, writes it, reads it back (so every node's place is its place in what Save
// writes) and compiles it; an operation that would add an error leaves the document as it
// was and says why. Undo and redo step through the texts.

#include <trocar/core/Result.h>
#include <trocar/physics/Snapshot.h>
#include <trocar/physics/World.h>
#include <trocar/scenario/Document.h>
#include <trocar/scenario/Sanity.h>
#include <trocar/session/Session.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace trocar::app {

// What a checklist step or an error rule template writes (conditionFor shows it).
struct ConditionTemplate {
  enum class Kind : uint8_t {
    kGrasp,        // grasped(hand, target)
    kCutInRegion,  // cut(tissue, region)
    kClipsOn,      // clips(target) >= count
    kPlacedIn,     // placed(object, zone) >= count
    kContact,      // contact(hand, target)
    kHeldFor,      // held(seconds, grasped(hand, target))
    kForceBelow,   // all(contact(hand, target), force(target) < newtons)  (a gentle touch)
    kForceAbove,   // force(target) > newtons                              (an error rule)
  };
  Kind kind = Kind::kGrasp;
  std::string hand = "left";
  std::string target;  // tissue, region or object (kCutInRegion: the tissue)
  std::string region;  // kCutInRegion; kPlacedIn: the zone
  int count = 1;
  double seconds = 3.0;
  double newtons = 1.0;
};
std::string conditionFor(const ConditionTemplate& t);
std::string titleFor(const ConditionTemplate& t);  // "Grasp the fundus", ...
const char* templateName(ConditionTemplate::Kind kind);

// What a click on the scene met.
struct SurfaceHit {
  Vec3 point{0.0f};  // where it is drawn now (the settled scene)
  // The same point of the tissue at rest: regions, markings and fixed selections choose nodes
  // by their rest positions, so what is clicked is placed there (objects, table: the point).
  Vec3 rest{0.0f};
  Vec3 normal{0.0f, 1.0f, 0.0f};
  float distance = 0.0f;  // along the ray, m
  std::string tissue;     // the tissue met, or
  std::string object;     // the object met, or neither: the table top
};

// One thing the editor lists as wrong or doubtful, linked to what it is in.
struct Problem {
  Error error;
  bool warning = false;  // a sanity warning (trocar validate's), not an error
  std::string section;   // "tissues", "regions", ... or empty: the scenario itself
  std::string id;        // the item's id in that section, if it has one
};

class AuthorModel {
 public:
  // Reads `file`; a file that does not exist yet starts from a small open-surgery scenario
  // (a gauze on the table, a grasper and scissors, one step) to be saved there.
  static Result<std::unique_ptr<AuthorModel>> open(const std::filesystem::path& file);
  ~AuthorModel();

  const std::filesystem::path& file() const { return mFile; }
  const scenario::Document& document() const { return mDocument; }
  const std::string& text() const { return mText; }  // what save() writes
  const scenario::LoadResult& compiled() const { return mCompiled; }
  // The last scenario that compiled (still shown while the document has errors), or null.
  const scenario::ScenarioDesc* scenario() const { return mScenario ? &*mScenario : nullptr; }
  const physics::World* world() const;  // its world, settled; null without a scenario
  const physics::WorldSnapshot& snapshot() const { return mSnapshot; }
  const scenario::Sanity& sanity() const { return mSanity; }
  std::vector<Problem> problems() const;          // errors, then warnings, each in file order
  bool dirty() const { return mSavedAt != mAt; }  // changed since opened or saved (a new file: always)

  // The first tissue surface (as drawn), object or table top a ray meets.
  std::optional<SurfaceHit> pick(const Vec3& origin, const Vec3& direction) const;

  // Regions: a sphere of `radiusM` round a point (of the tissue's drawn surface).
  Result<std::string> addRegion(const std::string& tissue, const Vec3& center, float radiusM);
  // Moves a region's sphere or box (one made by marking, group or nodes cannot be moved).
  Result<void> moveRegion(const std::string& id, const Vec3& center);
  Result<void> resizeRegion(const std::string& id, float scale);  // its radius or size times scale
  Result<std::string> addZone(const Vec3& center, const Vec3& size);
  Result<void> moveZone(const std::string& id, const Vec3& center);
  Result<void> resizeZone(const std::string& id, const Vec3& size);
  // Pins a tissue's nodes in a box (added to what `fixed` already pins); returns its index
  // among the tissue's fixed selections.
  Result<size_t> addFixedBox(const std::string& tissue, const Vec3& center, const Vec3& size);
  Result<void> moveFixedBox(const std::string& tissue, size_t index, const Vec3& center);
  // Markings: a circle round a surface point, or a line through surface points (stage frame;
  // on cloth written in the cloth's own plane, as the format has it).
  Result<std::string> addMarkingCircle(const std::string& tissue, const Vec3& center, float radiusM);
  Result<std::string> addMarkingLine(const std::string& tissue, const std::vector<Vec3>& points, bool closed);
  // Checklist steps and error rules from templates; `id` and `title` are made when empty.
  Result<std::string> addStep(const ConditionTemplate& t, std::string id = {}, std::string title = {});
  Result<std::string> addErrorRule(const ConditionTemplate& t, double penalty, bool critical = false);
  // Any field: `path` is dotted keys under the item (`material.mass_kg`), the item the one of
  // `section` with `id` (empty section: the scenario's top level).
  Result<void> setField(const std::string& section, const std::string& id, const std::string& path,
                        scenario::YamlNode value);
  Result<void> removeItem(const std::string& section, const std::string& id);

  bool undo();
  bool redo();
  bool canUndo() const { return mAt > 0; }
  bool canRedo() const { return mAt + 1 < mHistory.size(); }

  // Writes text() to `file` (default: the file opened), atomically.
  Result<void> save(const std::filesystem::path& file = {});

  // Where things are: the middle of the tissues at rest (app::fieldCenter).
  Vec3 fieldCenter() const;
  // Changes with every text adopted (edits, undo, redo): what the window's caches key on.
  uint64_t version() const { return mVersion; }
  // Where a point of a tissue at rest is drawn now (moved as its nearest nodes moved).
  Vec3 restToNow(const std::string& tissue, const Vec3& rest) const;
  // A free id in a section: prefix-1, prefix-2, ...
  std::string freeId(const std::string& section, const std::string& prefix) const;

 private:
  AuthorModel() = default;
  // Applies `edit` to a copy of the document; keeps it unless it adds an error.
  Result<void> change(const std::function<Result<void>(scenario::Document&)>& edit);
  void adopt(const std::string& text);  // read, compile, rebuild the world
  scenario::YamlNode& section(scenario::Document& doc, const std::string& name) const;
  // A marking `make` builds (its points written by the writer given), with a fresh id.
  using PointWriter = std::function<scenario::YamlNode(const Vec3&)>;
  Result<std::string> addMarking(const std::string& tissue, const std::string& prefix,
                                 const std::function<scenario::YamlNode(const PointWriter&)>& make);

  std::filesystem::path mFile;
  scenario::Document mDocument;
  std::string mText;
  scenario::LoadResult mCompiled;
  std::optional<scenario::ScenarioDesc> mScenario;
  std::unique_ptr<session::Session> mSession;
  physics::WorldSnapshot mSnapshot;
  scenario::Sanity mSanity;
  std::vector<std::string> mHistory;
  size_t mAt = 0;
  std::optional<size_t> mSavedAt;  // the history entry the file holds
  uint64_t mVersion = 0;
};

struct AuthorSettings {
  std::filesystem::path screenshot;  // the window's last frame, with its overlay, as PNG
  bool validation = false;
  std::string gpu;
  int width = 1280;
  int height = 720;
  std::filesystem::path trocar;  // this program, for Try and Record reference
  std::string select;            // SECTION/ID selected at the start
  int frames = 0;                // close after this many frames (0: when the user quits)
};

// Opens the editor window on `model` until it is closed (Esc twice or the window's close).
// kUnavailable without a display.
Result<void> runAuthorWindow(AuthorModel& model, const AuthorSettings& settings,
                             const std::atomic<bool>& stop);

}  // namespace trocar::app
