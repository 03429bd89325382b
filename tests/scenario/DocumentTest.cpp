// The scenario document (Document.h): YAML read with its layout and comments, written back in
// a stable layout, and compiled. Every shipped scenario and every FORMAT.md example survives
// load -> save -> load with the same data and the same hashes.
#include <trocar/core/File.h>
#include <trocar/scenario/Document.h>

#include <gtest/gtest.h>

namespace trocar::scenario {
namespace {

const std::filesystem::path kSource = TROCAR_SOURCE_DIR;

struct Source {
  std::string name;
  std::filesystem::path file;  // where it lives (anchors referenced files)
  std::string text;
};

std::vector<Source> shippedScenarios() {
  std::vector<Source> out;
  for (const char* id : {"fls-peg-transfer", "fls-pattern-cutting", "lap-cholecystectomy"}) {
    const auto file = kSource / "scenarios" / id / "scenario.yaml";
    auto text = readFileText(file);
    EXPECT_TRUE(text.ok()) << file;
    if (text.ok()) out.push_back({id, file, text.value()});
  }
  return out;
}

std::vector<Source> formatExamples() {
  std::vector<Source> out;
  auto doc = readFileText(kSource / "scenarios" / "FORMAT.md");
  EXPECT_TRUE(doc.ok());
  if (!doc.ok()) return out;
  const std::string& text = doc.value();
  const std::string open = "```yaml\n", close = "```";
  for (size_t at = text.find(open); at != std::string::npos; at = text.find(open, at)) {
    const size_t start = at + open.size();
    const size_t end = text.find(close, start);
    if (end == std::string::npos) break;
    std::string yaml = text.substr(start, end - start);
    at = end + close.size();
    if (yaml.rfind("trocar: 1", 0) == 0)
      out.push_back(
          {"FORMAT.md example " + std::to_string(out.size() + 1), kSource / "scenarios" / "FORMAT.md", yaml});
  }
  return out;
}

TEST(Document, EveryShippedScenarioAndFormatExampleRoundTrips) {
  std::vector<Source> sources = shippedScenarios();
  for (auto& s : formatExamples()) sources.push_back(std::move(s));
  ASSERT_GE(sources.size(), 7u);
  for (const Source& s : sources) {
    SCOPED_TRACE(s.name);
    DocumentLoad first = readDocument(s.text, s.file);
    ASSERT_TRUE(first.document) << (first.errors.empty() ? "" : first.errors[0].toString());
    const LoadResult original = loadScenarioText(s.text, s.file);
    ASSERT_TRUE(original.ok()) << (original.errors.empty() ? "" : original.errors[0].toString());

    const std::string saved = writeDocument(*first.document);
    DocumentLoad second = readDocument(saved, s.file);
    ASSERT_TRUE(second.document) << saved;
    EXPECT_TRUE(second.document->root == first.document->root) << saved;
    const LoadResult again = compileDocument(*second.document);
    ASSERT_TRUE(again.ok()) << (again.errors.empty() ? "" : again.errors[0].toString()) << "\n" << saved;
    EXPECT_EQ(again.scenario->contentHash, original.scenario->contentHash);
    EXPECT_EQ(again.scenario->scoringHash, original.scenario->scoringHash);
    EXPECT_EQ(again.scenario->checklist.size(), original.scenario->checklist.size());
    EXPECT_EQ(again.scenario->regions.size(), original.scenario->regions.size());
    // The layout is stable: saving the saved text changes nothing.
    EXPECT_EQ(writeDocument(*second.document), saved);
  }
}

TEST(Document, CommentsAndBlankLinesStayWithTheirEntries) {
  const std::string text = R"yaml(# A scenario for the tests.
# Second line of the header.
trocar: 1
id: c
title: "Step 1: the title"   # quoted: it has a colon

tissues:
  # the only tissue
  - id: gauze  # a gauze
    generate: {cloth: {size: [0.1, 0.1], cells: [8, 8],
      position: [0, 1, 0]}}  # inside a flow map that spans lines
    fixed: corners
description: >
  A long description that is folded # not a comment
  over two lines.
# the end
)yaml";
  DocumentLoad r = readDocument(text, "c.yaml");
  ASSERT_TRUE(r.document);
  const YamlNode& root = r.document->root;
  ASSERT_NE(root.get("trocar"), nullptr);
  EXPECT_EQ(root.get("trocar")->notes.above,
            (std::vector<std::string>{" A scenario for the tests.", " Second line of the header."}));
  EXPECT_EQ(root.get("title")->notes.after, " quoted: it has a colon");
  EXPECT_EQ(root.get("title")->quote, '"');
  EXPECT_TRUE(root.get("tissues")->notes.blankBefore);
  const YamlNode& gauze = root.get("tissues")->items.at(0);
  EXPECT_EQ(gauze.notes.above, std::vector<std::string>{" the only tissue"});
  EXPECT_EQ(gauze.notes.after, " a gauze");
  EXPECT_EQ(root.get("description")->text,
            "A long description that is folded # not a comment over two lines.\n");
  EXPECT_EQ(r.document->endComments, std::vector<std::string>{" the end"});

  const std::string saved = writeDocument(*r.document);
  const std::string expected = R"yaml(# A scenario for the tests.
# Second line of the header.
trocar: 1
id: c
title: "Step 1: the title"  # quoted: it has a colon

tissues:
  # the only tissue
  - id: gauze  # a gauze
    generate: {cloth: {size: [0.1, 0.1], cells: [8, 8], position: [0, 1, 0]}}  # inside a flow map that spans lines
    fixed: corners
description: >
  A long description that is folded # not a comment
  over two lines.
# the end
)yaml";
  EXPECT_EQ(saved, expected);
  DocumentLoad again = readDocument(saved, "c.yaml");
  ASSERT_TRUE(again.document);
  EXPECT_TRUE(again.document->root == root);
}

TEST(Document, ValuesMadeInMemoryAreQuotedWhereYamlWouldMisreadThem) {
  Document doc;
  doc.file = "m.yaml";
  doc.root = YamlNode::map();
  doc.root.set("title", YamlNode::scalar("Clip: then cut"));
  doc.root.set("plain", YamlNode::scalar("grasped(left, duct)"));
  doc.root.set("empty", YamlNode::scalar(""));
  doc.root.set("word", YamlNode::scalar("null"));
  YamlNode flow = YamlNode::map(true);
  flow.set("done_when", YamlNode::scalar("grasped(left, duct)"));
  flow.set("at", YamlNode::vector(Vec3(0.1f, -0.25f, 0.0f)));
  flow.set("w", YamlNode::number(0.035));
  doc.root.set("step", flow);
  const std::string saved = writeDocument(doc);
  EXPECT_EQ(saved,
            "title: \"Clip: then cut\"\n"
            "plain: grasped(left, duct)\n"
            "empty: \"\"\n"
            "word: \"null\"\n"
            "step: {done_when: \"grasped(left, duct)\", at: [0.1, -0.25, 0], w: 0.035}\n");
  DocumentLoad back = readDocument(saved, "m.yaml");
  ASSERT_TRUE(back.document);
  EXPECT_TRUE(back.document->root == doc.root);
}

TEST(Document, SetKeepsTheEntrysPlaceAndComments) {
  DocumentLoad r = readDocument("a: 1  # one\nb: 2\n", "s.yaml");
  ASSERT_TRUE(r.document);
  r.document->root.set("a", YamlNode::number(3.0));
  r.document->root.set("c", YamlNode::number(4.0));
  EXPECT_TRUE(r.document->root.erase("b"));
  EXPECT_EQ(writeDocument(*r.document), "a: 3  # one\nc: 4\n");
}

TEST(Document, SyntaxErrorsArePlacedAndExplained) {
  DocumentLoad r = readDocument("id: x\ntitle: Step 1: cut\n", "bad.yaml");
  ASSERT_FALSE(r.document);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].where.line, 2u);
  EXPECT_NE(r.errors[0].hint.find("quoted"), std::string::npos) << r.errors[0].toString();
  DocumentLoad nul = readDocument(std::string("id: x\0", 6), "nul.yaml");
  ASSERT_FALSE(nul.document);
  EXPECT_EQ(nul.errors[0].where.byteOffset, 5u);
}

}  // namespace
}  // namespace trocar::scenario
