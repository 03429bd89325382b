#pragma once
// A scenario file as an editable document: the YAML as written (key order, scalar text,
// quoting, flow or block layout), each node's place in the file and the comments and blank
// lines around it. Loading goes in stages, as MuJoCo's XML -> spec -> compile -> model:
//
//   text --readDocument--> Document --compileDocument--> ScenarioDesc --buildSession--> Session
//                 ^                |
//                 +--writeDocument-+    (trocar author edits the Document and saves it)
//
// Round trip: readDocument(writeDocument(d)) holds the same data as d (YamlNode::operator==)
// and compiles to the same content and scoring hashes (they are hashes of the YAML data).
//
// Layout policy of writeDocument: block mappings and sequences stay block, flow ones ({...},
// [...]) stay flow, broken between entries past 120 columns; keys keep their order; scalars
// keep their text and quotes (a plain scalar that would read differently is quoted); folded
// text (`>`) keeps its lines while they still fold to its text, else is wrapped at 96
// columns; multi-line text is a literal block (`|`). Indentation is 2 spaces. Comments are
// kept: whole-line comments above the entry they precede, end-of-line comments after the
// entry's line (one inside a flow collection that spans lines goes to the collection's entry)
// and a blank line before an entry stays; comments after the last entry stay at the end.

#include <trocar/core/Math.h>
#include <trocar/core/Result.h>
#include <trocar/scenario/Scenario.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trocar::scenario {

// What surrounds a node's place (its map entry or sequence item) in the file.
struct YamlNotes {
  bool blankBefore = false;
  std::vector<std::string> above;  // whole-line comments, without the '#'
  std::string after;               // an end-of-line comment, without the '#'
};

struct YamlNode {
  enum class Kind : uint8_t { kNull, kScalar, kSequence, kMap };
  struct Entry;

  Kind kind = Kind::kNull;
  std::string text;                      // kScalar: the value as YAML reads it
  char quote = 0;                        // kScalar: '"' or '\'' as written, 0 plain
  bool flow = false;                     // kSequence, kMap: written [...] / {...}
  std::vector<YamlNode> items;           // kSequence
  std::vector<Entry> entries;            // kMap, in file order
  SourceLocation where;                  // where the node starts (line 0 for nodes made in memory)
  std::vector<std::string> sourceLines;  // a `>` scalar's lines as read (kept while they fold to `text`)
  YamlNotes notes;                       // around this node's map entry or sequence item

  static YamlNode scalar(std::string text);
  static YamlNode number(double value);   // shortest text that reads back as the same double
  static YamlNode number(float value);    // ... as the same float
  static YamlNode vector(const Vec3& v);  // [x, y, z], flow
  static YamlNode vector(const Vec2& v);
  static YamlNode sequence(bool flow = false);
  static YamlNode map(bool flow = false);

  bool isScalar() const { return kind == Kind::kScalar; }
  bool isMap() const { return kind == Kind::kMap; }
  bool isSequence() const { return kind == Kind::kSequence; }

  // Mappings: the value under `key`, or null.
  const YamlNode* get(std::string_view key) const;
  YamlNode* get(std::string_view key);
  // Sets `key` to `value` (keeping the old entry's place and comments), or appends it.
  YamlNode& set(std::string_view key, YamlNode value);
  bool erase(std::string_view key);
  // Sequences of mappings: the item whose `id` is `id`, or null.
  const YamlNode* findId(std::string_view id) const;
  YamlNode* findId(std::string_view id);
  int indexOfId(std::string_view id) const;  // -1 when absent

  std::optional<double> asNumber() const;
  std::optional<Vec3> asVec3() const;

  // The data: kinds, scalar texts, items and entries in order (not layout, quotes,
  // comments or places). Null and an absent value are the same to the loader, not here.
  bool operator==(const YamlNode& other) const;
};

struct YamlNode::Entry {
  std::string key;
  SourceLocation keyWhere;
  YamlNode value;
};

struct Document {
  std::filesystem::path file;  // names it in errors, anchors referenced files
  YamlNode root;
  std::vector<std::string> endComments;  // after the last entry
};

struct DocumentLoad {
  std::optional<Document> document;
  std::vector<Error> errors;  // YAML syntax (file:line:col, with a plain-language hint)
};

// Stage 1: YAML text -> Document. Syntax only; what the document means is compileDocument's.
DocumentLoad readDocument(std::string_view text, const std::filesystem::path& file);
DocumentLoad readDocumentFile(const std::filesystem::path& file);

// Back to YAML, in the layout above.
std::string writeDocument(const Document& document);

// Stages 2 and 3: the document's meaning (ScenarioDesc, every error at its place) and its
// world, built once to check the geometry. Places refer to writeDocument's text where the
// document was edited in memory (its nodes' `where` after a readDocument of that text).
LoadResult compileDocument(const Document& document, const LoadOptions& options = {});

}  // namespace trocar::scenario
