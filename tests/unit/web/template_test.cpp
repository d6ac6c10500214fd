// The page templates' dialect, the embedded templates and catalogs, and form decoding.
#include "web/template.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "web/catalog.hpp"
#include "web/embedded.hpp"
#include "web/form.hpp"
#include "web/format.hpp"

namespace mh::web {
namespace {

namespace json = boost::json;

class TemplateTest : public ::testing::Test {
  protected:
    std::string Render(std::string_view text, const json::value& context) {
        TemplateSet set;
        EXPECT_TRUE(set.Add("page", text));
        EXPECT_TRUE(set.Add("part", "<{{name}}>"));
        return set.Render("page", context, *english_);
    }
    std::unique_ptr<Catalog> english_ =
        std::make_unique<Catalog>(Catalog::Parse("en", R"({"hello":"Hello & bye"})", nullptr).value());
};

TEST_F(TemplateTest, EscapesValuesAndLeavesTripleBracesRaw) {
    const json::value context = {{"name", "<script>alert(1)</script>"}, {"q", "a\"b'c&d"}};
    EXPECT_EQ(Render("{{name}}|{{q}}", context), "&lt;script&gt;alert(1)&lt;/script&gt;|a&quot;b&#39;c&amp;d");
    EXPECT_EQ(Render("{{{name}}}", context), "<script>alert(1)</script>");
}

TEST_F(TemplateTest, SectionsIterateNestAndInvert) {
    const json::value context = {{"items", json::array{json::object{{"n", 1}}, json::object{{"n", 2}}}},
                                 {"user", json::object{{"email", "a@b"}}},
                                 {"flag", true},
                                 {"empty", json::array{}},
                                 {"title", "T"}};
    EXPECT_EQ(Render("{{#items}}[{{n}}{{title}}]{{/items}}", context), "[1T][2T]");
    EXPECT_EQ(Render("{{#user}}{{email}}{{/user}}{{user.email}}", context), "a@ba@b");
    EXPECT_EQ(Render("{{#flag}}yes{{/flag}}{{^flag}}no{{/flag}}", context), "yes");
    EXPECT_EQ(Render("{{#empty}}x{{/empty}}{{^empty}}none{{/empty}}{{^missing}}!{{/missing}}", context), "none!");
    EXPECT_EQ(Render("{{#items.1}}{{n}}{{/items.1}}{{^items.5}}-{{/items.5}}", context), "2-");
    EXPECT_EQ(
        Render("{{#items}}{{>part}}{{/items}}", json::value{{"items", json::array{json::object{{"name", "<x>"}}}}}),
        "<&lt;x&gt;>");
}

TEST_F(TemplateTest, TextsComeFromTheCatalogEscapedAndMissingKeysShowThemselves) {
    EXPECT_EQ(Render("{{t.hello}} {{t.nope}}", json::object{}), "Hello &amp; bye nope");
}

TEST_F(TemplateTest, BrokenTemplatesAreRefusedWithTheLine) {
    auto unclosed = Template::Parse("a\n{{#x}}b", "p");
    ASSERT_FALSE(unclosed);
    EXPECT_NE(unclosed.error().message.find("line 2"), std::string::npos) << unclosed.error().message;
    EXPECT_FALSE(Template::Parse("{{#a}}{{/b}}", "p"));
    EXPECT_FALSE(Template::Parse("{{name", "p"));
    EXPECT_FALSE(Template::Parse("{{}}", "p"));
}

TEST_F(TemplateTest, PartialsSeeTheContextOfTheTemplateThatIncludesThem) {
    TemplateSet set;
    ASSERT_TRUE(set.Add("page", "{{#items}}{{>row}};{{/items}}{{#user}}{{>who}}{{/user}}"));
    ASSERT_TRUE(set.Add("row", "{{n}} of {{title}}{{#flags}}{{>flag}}{{/flags}}"));
    ASSERT_TRUE(set.Add("flag", "[{{.}} {{n}} {{title}}]"));
    ASSERT_TRUE(set.Add("who", "{{email}} in {{title}}"));
    const json::value context = {
        {"items", json::array{json::object{{"n", 1}, {"flags", json::array{"a"}}}, json::object{{"n", 2}}}},
        {"user", json::object{{"email", "a@b"}}},
        {"title", "T"}};
    EXPECT_EQ(set.Render("page", context, *english_), "1 of T[a 1 T];2 of T;a@b in T");
    // The innermost context still wins, as for any name.
    EXPECT_EQ(set.Render("page",
                         json::value{{"items", json::array{json::object{{"n", 3}, {"title", "own"}}}}, {"title", "T"}},
                         *english_),
              "3 of own;");
}

TEST_F(TemplateTest, APartialThatIncludesItselfIsRefusedWhenAdded) {
    TemplateSet set;
    auto direct = set.Add("loop", "x{{>loop}}");
    ASSERT_FALSE(direct);
    EXPECT_EQ(direct.error().code, Errc::kInvalidArgument);
    EXPECT_NE(direct.error().message.find("loop includes itself: loop > loop"), std::string::npos)
        << direct.error().message;
    EXPECT_EQ(set.Find("loop"), nullptr);  // the set is unchanged

    // Through others, and inside a section that might be empty when rendered.
    ASSERT_TRUE(set.Add("a", "{{>b}}"));
    ASSERT_TRUE(set.Add("b", "{{#children}}{{>c}}{{/children}}"));
    auto indirect = set.Add("c", "{{^leaf}}{{>a}}{{/leaf}}");
    ASSERT_FALSE(indirect);
    EXPECT_NE(indirect.error().message.find("c includes itself: c > a > b > c"), std::string::npos)
        << indirect.error().message;
    // Replacing a template so that it closes a cycle is refused too, and the old one stays.
    ASSERT_TRUE(set.Add("c", "leaf"));
    auto replaced = set.Add("a", "{{>b}}{{>a}}");
    ASSERT_FALSE(replaced);
    EXPECT_NE(replaced.error().message.find("a > a"), std::string::npos) << replaced.error().message;
    EXPECT_EQ(set.Render("a", json::value{{"children", json::array{1, 2}}}, *english_), "leafleaf");
    // A template may include the same partial many times, and two partials may share one: no cycle.
    EXPECT_TRUE(set.Add("d", "{{>c}}{{>c}}{{#x}}{{>b}}{{/x}}{{>a}}"));
    EXPECT_TRUE(set.Check());
}

TEST_F(TemplateTest, ALongChainOfPartialsRendersAndMissingPartialsAreFound) {
    TemplateSet set;
    constexpr int kChain = 30;
    for (int i = kChain - 1; i >= 0; --i) {
        const std::string next = i + 1 < kChain ? "{{>p" + std::to_string(i + 1) + "}}" : "{{end}}";
        ASSERT_TRUE(set.Add("p" + std::to_string(i), "<" + next + ">"));
    }
    EXPECT_EQ(set.Render("p0", json::value{{"end", "!"}}, *english_),
              std::string(kChain, '<') + "!" + std::string(kChain, '>'));
    EXPECT_TRUE(set.Check());
    ASSERT_TRUE(set.Add("orphan", "{{>nowhere}}"));
    auto missing = set.Check();
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("orphan includes nowhere"), std::string::npos) << missing.error().message;
}

TEST(EmbeddedWeb, PagesStillRenderTheirPartials) {
    auto catalogs = Catalogs::LoadEmbedded();
    auto templates = TemplateSet::LoadEmbedded();
    ASSERT_TRUE(catalogs && templates);
    const Catalog& english = catalogs->For("en");
    // The home page's pickers sit inside {{#inverters.0}}, whose context is the first inverter.
    const std::string with_inverters = templates->Render(
        "home",
        json::value{{"tenant", json::object{{"id", "7"}}}, {"inverters", json::array{json::object{{"id", "9"}}}}},
        english);
    EXPECT_NE(with_inverters.find(R"(data-range="24h")"), std::string::npos);
    EXPECT_NE(with_inverters.find(R"(data-period="day")"), std::string::npos);
    EXPECT_EQ(with_inverters.find(R"(id="setup-help")"), std::string::npos);
    const std::string without = templates->Render(
        "home", json::value{{"tenant", json::object{{"id", "7"}}}, {"collector_address", "hub:10000"}}, english);
    EXPECT_NE(without.find(R"(<a href="/t/7/keys">)"), std::string::npos);
    EXPECT_NE(without.find("<code>hub:10000</code>"), std::string::npos);
    // The dashboard's range picker shows the ranges its page offers.
    const std::string dashboard = templates->Render(
        "dashboard", json::value{{"ranges", json::array{"6h", "30d"}}, {"tenant", json::object{{"id", "7"}}}}, english);
    EXPECT_NE(dashboard.find(R"(data-range="30d")"), std::string::npos);
    EXPECT_EQ(dashboard.find(R"(data-range="1y")"), std::string::npos);
}

TEST(EmbeddedWeb, EveryTemplateParsesAndRendersAndEveryTextIsTranslated) {
    auto catalogs = Catalogs::LoadEmbedded();
    ASSERT_TRUE(catalogs) << catalogs.error().message;
    auto templates = TemplateSet::LoadEmbedded();
    ASSERT_TRUE(templates) << templates.error().message;
    for (const auto& file : EmbeddedFiles()) {
        if (!file.name.starts_with("templates/")) continue;
        const std::string name(file.name.substr(10, file.name.size() - 15));
        EXPECT_NO_THROW(templates->Render(name, json::object{}, catalogs->For("de"))) << name;
        // Every {{t.key}} of the template is in the English catalog.
        for (std::size_t at = file.data.find("{{t."); at != std::string_view::npos;
             at = file.data.find("{{t.", at + 1)) {
            const auto end = file.data.find("}}", at);
            const std::string key(file.data.substr(at + 4, end - at - 4));
            EXPECT_TRUE(catalogs->For("en").Has(key)) << name << ": " << key;
        }
    }
    const Catalog& english = catalogs->For("en");
    const Catalog& german = catalogs->For("de-CH");
    ASSERT_EQ(german.language(), "de");
    for (const auto& key : english.Keys()) EXPECT_TRUE(german.Has(key)) << "German lacks " << key;
    for (const auto& key : german.Keys()) EXPECT_TRUE(english.Has(key)) << "English lacks " << key;
    EXPECT_EQ(catalogs->ForAcceptLanguage("fr-FR,de;q=0.8,en;q=0.5").language(), "de");
    EXPECT_EQ(catalogs->ForAcceptLanguage("fr").language(), "en");
    EXPECT_EQ(catalogs->ForAcceptLanguage("").language(), "en");
}

TEST(Form, DecodesFieldsAndRefusesBrokenInput) {
    auto form = Form::Parse("name=My+inverter%21&serial=%20123%20&empty=&flag");
    ASSERT_TRUE(form);
    EXPECT_EQ(form->Get("name"), "My inverter!");
    EXPECT_EQ(form->Get("serial"), "123");
    EXPECT_EQ(form->Get("empty"), "");
    EXPECT_TRUE(form->Find("flag").has_value());
    EXPECT_FALSE(form->Find("missing").has_value());
    EXPECT_FALSE(Form::Parse("a=%zz"));
    EXPECT_FALSE(Form::Parse("a=%4"));
    EXPECT_FALSE(Form::Parse("a=%ff%fe"));  // not UTF-8
    EXPECT_TRUE(Form::Parse("a=%C3%A4"));   // ä
    std::string many;
    for (int i = 0; i < 201; ++i) many += "f" + std::to_string(i) + "=1&";
    EXPECT_FALSE(Form::Parse(many));
    EXPECT_TRUE(Form::Parse(""));
}

TEST(Format, FiguresReadInTheUsersLanguage) {
    auto catalogs = Catalogs::LoadEmbedded().value();
    const Catalog& en = catalogs.For("en");
    const Catalog& de = catalogs.For("de");
    EXPECT_EQ(FormatPower(950.4, en), "950 W");
    EXPECT_EQ(FormatPower(1250, en), "1.25 kW");
    EXPECT_EQ(FormatPower(1250, de), "1,25 kW");
    EXPECT_EQ(FormatEnergy(12.345, de), "12,35 kWh");
    EXPECT_EQ(FormatNumber(-0.001, 2, en), "0.00");
    EXPECT_EQ(FormatAge(5, en), "5 s ago");
    EXPECT_EQ(FormatAge(600, de), "vor 10 min");
}

}  // namespace
}  // namespace mh::web
