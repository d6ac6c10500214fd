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
