#include <trocar/core/File.h>
#include <trocar/scenario/Document.h>

#include "YamlContext.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace trocar::scenario {
namespace {

namespace fs = std::filesystem;

constexpr size_t kWrapColumn = 96;       // folded text is wrapped here
constexpr size_t kFlowWrapColumn = 120;  // and flow collections

SourceLocation placeOf(const fs::path& file, const YAML::Mark& mark) {
  SourceLocation where;
  where.file = file.string();
  if (mark.line >= 0) {
    where.line = static_cast<uint32_t>(mark.line) + 1;
    where.column = static_cast<uint32_t>(mark.column) + 1;
  }
  return where;
}

// yaml-cpp's tree -> ours. Quotes and block-scalar indicators are read from the text at the
// node's mark (yaml-cpp keeps the style of collections, not of scalars).
YamlNode convert(const YAML::Node& n, std::string_view text, const fs::path& file) {
  YamlNode out;
  out.where = placeOf(file, n.Mark());
  if (!n || n.IsNull()) return out;
  if (n.IsScalar()) {
    out.kind = YamlNode::Kind::kScalar;
    out.text = n.Scalar();
    const int pos = n.Mark().pos;
    if (pos >= 0 && static_cast<size_t>(pos) < text.size()) {
      const char c = text[static_cast<size_t>(pos)];
      if (c == '"' || c == '\'' || c == '>' || c == '|') out.quote = c;
    }
    return out;
  }
  out.flow = n.Style() == YAML::EmitterStyle::Flow;
  if (n.IsSequence()) {
    out.kind = YamlNode::Kind::kSequence;
    for (const auto& item : n) out.items.push_back(convert(item, text, file));
  } else if (n.IsMap()) {
    out.kind = YamlNode::Kind::kMap;
    for (auto it = n.begin(); it != n.end(); ++it) {
      YamlNode::Entry e;
      e.key = it->first.IsScalar() ? it->first.Scalar() : std::string();
      e.keyWhere = placeOf(file, it->first.Mark());
      e.value = convert(it->second, text, file);
      out.entries.push_back(std::move(e));
    }
  }
  return out;
}

// Where comments may be attached: each map entry (at its key) and each sequence item.
// Entries and items inside a flow collection are not anchors: comments there belong to the
// collection's own entry.
struct Anchor {
  uint32_t line = 0, column = 0;
  YamlNode* value = nullptr;  // the entry's value or the item
  bool blockScalar() const { return value->isScalar() && (value->quote == '>' || value->quote == '|'); }
};

void collectAnchors(YamlNode& n, std::vector<Anchor>& out) {
  if (n.flow) return;
  if (n.isSequence()) {
    for (YamlNode& item : n.items) {
      if (item.where.line) out.push_back({item.where.line, item.where.column, &item});
      collectAnchors(item, out);
    }
  } else if (n.isMap()) {
    for (YamlNode::Entry& e : n.entries) {
      if (e.keyWhere.line) out.push_back({e.keyWhere.line, e.keyWhere.column, &e.value});
      collectAnchors(e.value, out);
    }
  }
}

// Where the comment on this line starts (a '#' at the start or after a blank, outside quotes).
std::optional<size_t> commentStart(std::string_view line) {
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote) {
      if (quote == '"' && c == '\\')
        ++i;
      else if (c == quote)
        quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') {
      // A quote opens a string only where a scalar may start (not inside a word: it's).
      if (i == 0 || std::string_view(" \t[{,:-").find(line[i - 1]) != std::string_view::npos) quote = c;
      continue;
    }
    if (c == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) return i;
  }
  return std::nullopt;
}

std::string commentText(std::string_view line, size_t hash) {
  std::string_view c = line.substr(hash + 1);
  while (!c.empty() && (c.back() == '\r' || c.back() == ' ' || c.back() == '\t')) c.remove_suffix(1);
  return std::string(c);
}

size_t indentOf(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && line[i] == ' ') ++i;
  return i;
}

bool blankLine(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

void attachComments(std::string_view text, Document& doc) {
  std::vector<Anchor> anchors;
  collectAnchors(doc.root, anchors);
  std::stable_sort(anchors.begin(), anchors.end(), [](const Anchor& a, const Anchor& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  std::vector<std::string_view> lines;
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  size_t next = 0;  // the first anchor not yet reached
  YamlNotes pending;
  const Anchor* last = nullptr;
  size_t blockIndent = SIZE_MAX;  // inside a block scalar: lines indented more than this are its text
  YamlNode* block = nullptr;      // that scalar (its lines are kept: rewrapping is not an edit)
  bool seenContent = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    const uint32_t lineNo = static_cast<uint32_t>(i) + 1;
    std::string_view line = lines[i];
    if (blockIndent != SIZE_MAX) {
      if (blankLine(line) || indentOf(line) > blockIndent) {
        block->sourceLines.emplace_back(blankLine(line) ? std::string_view() : line.substr(indentOf(line)));
        continue;
      }
      blockIndent = SIZE_MAX;
    }
    const Anchor* here = nullptr;
    while (next < anchors.size() && anchors[next].line <= lineNo) {
      if (anchors[next].line == lineNo && !here) here = &anchors[next];
      ++next;
    }
    if (blankLine(line)) {
      if (seenContent) pending.blankBefore = true;
      continue;
    }
    auto hash = commentStart(line);
    const bool wholeLine = hash && blankLine(line.substr(0, *hash));
    if (wholeLine) {
      pending.above.push_back(commentText(line, *hash));
      continue;
    }
    seenContent = true;
    if (here) {
      YamlNotes& notes = here->value->notes;
      notes.blankBefore = notes.blankBefore || pending.blankBefore;
      for (auto& c : pending.above) notes.above.push_back(std::move(c));
      pending = {};
      last = here;
      if (here->blockScalar()) {
        blockIndent = here->column - 1;
        block = here->value;
      }
    }
    if (hash) {
      std::string c = commentText(line, *hash);
      if (last && last->value->notes.after.empty())
        last->value->notes.after = std::move(c);
      else
        pending.above.push_back(std::move(c));
    }
  }
  doc.endComments = std::move(pending.above);
}

// --- writing -------------------------------------------------------------------------------

bool nullWord(std::string_view s) {
  return s == "~" || s == "null" || s == "Null" || s == "NULL";
}

bool plainIsSafe(std::string_view s, bool flow) {
  if (s.empty() || nullWord(s)) return false;
  if (s.front() == ' ' || s.back() == ' ' || s.back() == ':') return false;
  if (s.find_first_of("\n\t\r") != std::string_view::npos) return false;
  if (s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos) return false;
  const char c = s.front();
  if (std::string_view(",[]{}#&*!|>'\"%@`").find(c) != std::string_view::npos) return false;
  if ((c == '-' || c == '?' || c == ':') && (s.size() == 1 || s[1] == ' ')) return false;
  if (flow && s.find_first_of(",[]{}") != std::string_view::npos) return false;
  return true;
}

std::string doubleQuoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string inlineScalar(const YamlNode& n, bool flow) {
  if (n.quote == '\'' && n.text.find_first_of("\n\r") == std::string::npos) {
    std::string out = "'";
    for (char c : n.text) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
  }
  if (n.quote == 0 && plainIsSafe(n.text, flow)) return n.text;
  return doubleQuoted(n.text);
}

std::string inlineNode(const YamlNode& n, bool flow) {
  switch (n.kind) {
    case YamlNode::Kind::kNull: return "~";
    case YamlNode::Kind::kScalar: return inlineScalar(n, flow);
    case YamlNode::Kind::kSequence: {
      std::string out = "[";
      for (size_t i = 0; i < n.items.size(); ++i) out += (i ? ", " : "") + inlineNode(n.items[i], true);
      return out + "]";
    }
    case YamlNode::Kind::kMap: {
      std::string out = "{";
      for (size_t i = 0; i < n.entries.size(); ++i) {
        const auto& e = n.entries[i];
        out +=
            (i ? ", " : "") + inlineScalar(YamlNode::scalar(e.key), true) + ": " + inlineNode(e.value, true);
      }
      return out + "}";
    }
  }
  return "~";
}

// Written on one line: scalars that are not block text, flow and empty collections.
bool writtenInline(const YamlNode& n) {
  if (n.isMap()) return n.flow || n.entries.empty();
  if (n.isSequence()) return n.flow || n.items.empty();
  return true;
}

// Folded (`>`) when the text is one paragraph that folding gives back exactly; literal (`|`)
// when it has line breaks that a literal block keeps; else nothing (write it quoted).
std::optional<std::string> blockText(const YamlNode& n, size_t indent) {
  if (!n.isScalar() || (n.quote != '>' && n.quote != '|') || n.text.empty()) return std::nullopt;
  std::string_view body = n.text;
  std::string chomp;
  if (body.back() != '\n') {
    chomp = "-";
  } else {
    body.remove_suffix(1);
    if (!body.empty() && body.back() == '\n') return std::nullopt;  // keep-chomping: quote it
  }
  if (body.empty() || body.front() == ' ' || body.find_first_of("\t\r") != std::string_view::npos)
    return std::nullopt;
  const std::string pad(indent, ' ');
  const bool oneParagraph = body.find('\n') == std::string_view::npos;
  if (oneParagraph && body.find("  ") == std::string_view::npos && body.back() != ' ') {
    std::string out = ">" + chomp + "\n";
    // The lines as written, where they still fold to the text.
    std::string joined;
    for (const auto& l : n.sourceLines) joined += (joined.empty() ? "" : " ") + l;
    if (!n.sourceLines.empty() && joined == body) {
      for (const auto& l : n.sourceLines) out += pad + l + "\n";
      return out;
    }
    std::string line;
    size_t start = 0;
    while (start < body.size()) {
      size_t end = body.find(' ', start);
      if (end == std::string_view::npos) end = body.size();
      std::string_view word = body.substr(start, end - start);
      if (!line.empty() && indent + line.size() + 1 + word.size() > kWrapColumn) {
        out += pad + line + "\n";
        line.clear();
      }
      line += (line.empty() ? "" : " ") + std::string(word);
      start = end + 1;
    }
    return out + pad + line + "\n";
  }
  std::string out = "|" + chomp + "\n";
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(start, end - start);
    if (!line.empty() && line.back() == ' ') return std::nullopt;
    out += line.empty() ? "\n" : pad + std::string(line) + "\n";
    start = end + 1;
  }
  return out;
}

void collectNested(const YamlNode& n, std::vector<std::string>& out) {
  auto take = [&](const YamlNode& child) {
    for (const auto& c : child.notes.above) out.push_back(c);
    if (!child.notes.after.empty()) out.push_back(child.notes.after);
    collectNested(child, out);
  };
  for (const auto& item : n.items) take(item);
  for (const auto& e : n.entries) take(e.value);
}

class Writer {
 public:
  std::string out;

  void notesAbove(const YamlNode& n, size_t indent, bool inlineValue) {
    if (n.notes.blankBefore && !out.empty()) out += "\n";
    for (const auto& c : n.notes.above) comment(c, indent);
    if (inlineValue && writtenInline(n)) {  // comments that were inside a multi-line flow value
      std::vector<std::string> nested;
      collectNested(n, nested);
      for (const auto& c : nested) comment(c, indent);
    }
  }
  void comment(const std::string& c, size_t indent) { out += std::string(indent, ' ') + "#" + c + "\n"; }
  void endOfLine(const YamlNode& n) {
    if (!n.notes.after.empty()) out += "  #" + n.notes.after;
    out += "\n";
  }

  // `prefix` is what starts the line ("key:" or "-"); the value follows it.
  void value(const YamlNode& n, size_t indent, const std::string& prefix) {
    if (writtenInline(n)) {
      if (auto block = blockText(n, indent + 2)) {
        out += prefix + " " + block->substr(0, block->find('\n'));
        endOfLine(n);
        out += block->substr(block->find('\n') + 1);
        return;
      }
      out += wrapped(prefix + " ", n);
      endOfLine(n);
      return;
    }
    out += prefix;
    endOfLine(n);
    if (n.isMap())
      map(n, indent + 2);
    else
      sequence(n, indent + 2);
  }

  // A flow collection longer than a line, broken between its entries, the next lines
  // aligned after its bracket.
  static std::string wrapped(const std::string& prefix, const YamlNode& n) {
    std::string whole = prefix + inlineNode(n, false);
    const size_t count = n.isMap() ? n.entries.size() : n.items.size();
    if (whole.size() <= kFlowWrapColumn || !n.flow || count < 2) return whole;
    const std::string pad(prefix.size() + 1, ' ');
    std::string out = prefix + (n.isMap() ? "{" : "["), line = out;
    for (size_t i = 0; i < count; ++i) {
      std::string part = n.isMap() ? inlineScalar(YamlNode::scalar(n.entries[i].key), true) + ": " +
                                         inlineNode(n.entries[i].value, true)
                                   : inlineNode(n.items[i], true);
      part += i + 1 < count ? "," : (n.isMap() ? "}" : "]");
      if (i > 0 && line.size() + 1 + part.size() > kFlowWrapColumn) {
        out += "\n" + pad;
        line = pad;
      } else if (i > 0) {
        out += " ";
        line += " ";
      }
      out += part;
      line += part;
    }
    return out;
  }

  void map(const YamlNode& n, size_t indent) {
    for (const auto& e : n.entries) {
      notesAbove(e.value, indent, true);
      value(e.value, indent, std::string(indent, ' ') + inlineScalar(YamlNode::scalar(e.key), false) + ":");
    }
  }

  void sequence(const YamlNode& n, size_t indent) {
    for (const auto& item : n.items) {
      notesAbove(item, indent, true);
      const std::string dash = std::string(indent, ' ') + "-";
      bool compactMap = item.isMap() && !writtenInline(item);
      if (compactMap) {
        const YamlNode& first = item.entries.front().value;
        std::vector<std::string> nested;
        if (writtenInline(first)) collectNested(first, nested);
        compactMap = first.notes.above.empty() && !first.notes.blankBefore && nested.empty();
      }
      if (!compactMap) {
        value(item, indent, dash);
        continue;
      }
      // "- key: value" with the rest of the map under it.
      Writer inner;
      inner.map(item, indent + 2);
      std::string text = std::move(inner.out);
      text.replace(0, indent + 2, dash + " ");
      if (!item.notes.after.empty()) {
        const size_t eol = text.find('\n');
        text.insert(eol, "  #" + item.notes.after);
      }
      out += text;
    }
  }
};

std::string formatFloat(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

}  // namespace

// --- YamlNode ------------------------------------------------------------------------------

YamlNode YamlNode::scalar(std::string text) {
  YamlNode n;
  n.kind = Kind::kScalar;
  n.text = std::move(text);
  return n;
}

YamlNode YamlNode::number(double value) {
  if (value == 0.0) return scalar("0");  // not -0
  return scalar(formatFloat(value));
}

YamlNode YamlNode::number(float value) {
  if (value == 0.0f) return scalar("0");
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, value);
  return scalar(std::string(buf, r.ptr));
}

YamlNode YamlNode::vector(const Vec3& v) {
  YamlNode n = sequence(true);
  for (int i = 0; i < 3; ++i) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v[i] == 0.0f ? 0.0f : v[i]);
    n.items.push_back(scalar(std::string(buf, r.ptr)));
  }
  return n;
}

YamlNode YamlNode::vector(const Vec2& v) {
  YamlNode n = vector(Vec3(v, 0.0f));
  n.items.pop_back();
  return n;
}

YamlNode YamlNode::sequence(bool flow) {
  YamlNode n;
  n.kind = Kind::kSequence;
  n.flow = flow;
  return n;
}

YamlNode YamlNode::map(bool flow) {
  YamlNode n;
  n.kind = Kind::kMap;
  n.flow = flow;
  return n;
}

const YamlNode* YamlNode::get(std::string_view key) const {
  if (!isMap()) return nullptr;
  for (const auto& e : entries) {
    if (e.key == key) return &e.value;
  }
  return nullptr;
}

YamlNode* YamlNode::get(std::string_view key) {
  return const_cast<YamlNode*>(static_cast<const YamlNode*>(this)->get(key));
}

YamlNode& YamlNode::set(std::string_view key, YamlNode value) {
  if (!isMap()) *this = map(flow);
  if (YamlNode* old = get(key)) {
    value.notes = std::move(old->notes);
    *old = std::move(value);
    return *old;
  }
  entries.push_back({std::string(key), {}, std::move(value)});
  return entries.back().value;
}

bool YamlNode::erase(std::string_view key) {
  auto it = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) { return e.key == key; });
  if (it == entries.end()) return false;
  entries.erase(it);
  return true;
}

int YamlNode::indexOfId(std::string_view id) const {
  if (!isSequence()) return -1;
  for (size_t i = 0; i < items.size(); ++i) {
    const YamlNode* v = items[i].get("id");
    if (v && v->isScalar() && v->text == id) return static_cast<int>(i);
  }
  return -1;
}

const YamlNode* YamlNode::findId(std::string_view id) const {
  const int i = indexOfId(id);
  return i < 0 ? nullptr : &items[static_cast<size_t>(i)];
}

YamlNode* YamlNode::findId(std::string_view id) {
  const int i = indexOfId(id);
  return i < 0 ? nullptr : &items[static_cast<size_t>(i)];
}

std::optional<double> YamlNode::asNumber() const {
  if (!isScalar()) return std::nullopt;
  double v = 0.0;
  const char* end = text.data() + text.size();
  auto r = std::from_chars(text.data() + (!text.empty() && text[0] == '+'), end, v);
  if (r.ec != std::errc() || r.ptr != end || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<Vec3> YamlNode::asVec3() const {
  if (!isSequence() || items.size() != 3) return std::nullopt;
  Vec3 v;
  for (int i = 0; i < 3; ++i) {
    auto x = items[static_cast<size_t>(i)].asNumber();
    if (!x) return std::nullopt;
    v[i] = static_cast<float>(*x);
  }
  return v;
}

bool YamlNode::operator==(const YamlNode& o) const {
  if (kind != o.kind) return false;
  switch (kind) {
    case Kind::kNull: return true;
    case Kind::kScalar: return text == o.text;
    case Kind::kSequence: return items == o.items;
    case Kind::kMap:
      if (entries.size() != o.entries.size()) return false;
      for (size_t i = 0; i < entries.size(); ++i) {
        if (entries[i].key != o.entries[i].key || !(entries[i].value == o.entries[i].value)) return false;
      }
      return true;
  }
  return false;
}

// --- stages --------------------------------------------------------------------------------

DocumentLoad readDocument(std::string_view text, const fs::path& file) {
  DocumentLoad result;
  if (text.find('\0') != std::string_view::npos) {
    SourceLocation where;
    where.file = file.string();
    where.byteOffset = text.find('\0');
    result.errors.push_back(makeError(ErrorCode::kInvalidInput,
                                      "this is not a text file (it contains a NUL byte)", where,
                                      "a scenario is a YAML text file"));
    return result;
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    result.errors.push_back(makeError(ErrorCode::kInvalidInput, "not valid YAML: " + e.msg,
                                      placeOf(file, e.mark), detail::yamlSyntaxHint(e.msg)));
    return result;
  }
  Document doc;
  doc.file = file;
  doc.root = convert(root, text, file);
  if (doc.root.kind == YamlNode::Kind::kNull) doc.root = YamlNode::map();  // an empty file
  attachComments(text, doc);
  result.document = std::move(doc);
  return result;
}

DocumentLoad readDocumentFile(const fs::path& file) {
  auto text = readFileText(file);
  if (!text.ok()) {
    DocumentLoad r;
    r.errors.push_back(text.error());
    return r;
  }
  return readDocument(text.value(), file);
}

std::string writeDocument(const Document& document) {
  Writer w;
  if (document.root.isMap() && !document.root.flow)
    w.map(document.root, 0);
  else if (document.root.isSequence() && !document.root.flow)
    w.sequence(document.root, 0);
  else
    w.out = inlineNode(document.root, false) + "\n";
  for (const auto& c : document.endComments) w.comment(c, 0);
  return w.out;
}

LoadResult compileDocument(const Document& document, const LoadOptions& options) {
  return loadScenarioText(writeDocument(document), document.file, options);
}

}  // namespace trocar::scenario
