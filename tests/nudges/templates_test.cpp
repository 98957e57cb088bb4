#include <gtest/gtest.h>

#include "nudges/planner.hpp"
#include "nudges/templates.hpp"

namespace headroom::nudges {
namespace {

using forecast::make_date;
using forecast::Money;

std::string template_error(std::string_view text) {
  try {
    validate_template(text, "policy 'p': variants[0].text");
  } catch (const TemplateError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(FormatMoney, UsesTheCurrencySymbolForEnglishLocales) {
  EXPECT_EQ(format_money(Money::from_cents(120000), "USD", "en-US"), "$1,200.00");
  EXPECT_EQ(format_money(Money::from_cents(5), "USD", "en-US"), "$0.05");
  EXPECT_EQ(format_money(Money::from_cents(-123456789), "USD", "en-US"), "-$1,234,567.89");
  EXPECT_EQ(format_money(Money::from_cents(99999), "GBP", "en-GB"), "\xC2\xA3" "999.99");
}

TEST(FormatMoney, FallsBackToAmountThenCurrencyCode) {
  EXPECT_EQ(format_money(Money::from_cents(120000), "EUR", "de-DE"), "1,200.00 EUR");
  EXPECT_EQ(format_money(Money::from_cents(-100), "CHF", "fr-CH"), "-1.00 CHF");
  EXPECT_EQ(format_money(Money::from_cents(100000000), "JPY", "en-US"), "1,000,000.00 JPY");
}

TEST(FormatDate, SpellsOutTheDayInEnglishAndUsesIsoOtherwise) {
  EXPECT_EQ(format_date(make_date(2026, 3, 13), "en-US"), "Friday, March 13");
  EXPECT_EQ(format_date(make_date(2026, 11, 1), "en-GB"), "Sunday, November 1");
  EXPECT_EQ(format_date(make_date(2026, 3, 13), "de-DE"), "2026-03-13");
}

TEST(TemplateValidation, AcceptsKnownPlaceholdersWithOrWithoutSpaces) {
  EXPECT_EQ(template_error("Low on {{first_risky_day}} by {{ shortfall }}; bills: {{bills}}"), "(no error)");
  EXPECT_EQ(template_error("no placeholders at all"), "(no error)");
}

TEST(TemplateValidation, RejectsAnUnknownPlaceholderNamingIt) {
  EXPECT_EQ(template_error("Hi {{first_name}}, careful"),
            "policy 'p': variants[0].text: unknown placeholder {{first_name}}");
}

TEST(TemplateValidation, RejectsAnUnterminatedPlaceholder) {
  EXPECT_EQ(template_error("Hi {{shortfall"),
            "policy 'p': variants[0].text: unterminated placeholder at offset 3 (\"{{\" without \"}}\")");
}

TEST(TemplateValidation, TheDefaultVariantIsValid) {
  EXPECT_NO_THROW(validate_variant(default_copy_variant(), "default"));
}

struct CopyTest : ::testing::Test {
  ForecastSummary forecast = [] {
    ForecastSummary f;
    f.window_probability = 0.7;
    f.first_risky_day = make_date(2026, 3, 13);
    f.expected_shortfall = Money::from_cents(8450);
    f.drivers = {
        {Driver::Kind::kBill, "Phone", Money::from_cents(-4500), make_date(2026, 3, 12)},
        {Driver::Kind::kBill, "Rent & <utilities>", Money::from_cents(-120000), make_date(2026, 3, 13)},
        {Driver::Kind::kBill, "Gym", Money::from_cents(-3000), make_date(2026, 3, 20)},  // after the risky day
        {Driver::Kind::kIncome, "Payroll", Money::from_cents(210000), make_date(2026, 3, 15)},
    };
    f.next_income_date = make_date(2026, 3, 15);
    f.next_income_amount = Money::from_cents(210000);
    return f;
  }();
  CopyValues values() {
    return make_copy_values(forecast, Money::from_cents(0), make_date(2026, 3, 10), "USD", "en-US",
                            "https://bank.example/u?token=abc");
  }
};

TEST_F(CopyTest, FillsEveryPlaceholderFromTheDrivers) {
  const CopyValues v = values();
  EXPECT_EQ(v.get("first_risky_day"), "Friday, March 13");
  EXPECT_EQ(v.get("days_until"), "3");
  EXPECT_EQ(v.get("shortfall"), "$84.50");
  EXPECT_EQ(v.get("buffer"), "$0.00");
  EXPECT_EQ(v.get("bills"), "Phone ($45.00, Thursday, March 12) and Rent & <utilities> ($1,200.00, Friday, March 13)");
  EXPECT_EQ(v.get("top_bill"), "Rent & <utilities>");
  EXPECT_EQ(v.get("top_bill_amount"), "$1,200.00");
  EXPECT_EQ(v.get("top_bill_date"), "Friday, March 13");
  EXPECT_EQ(v.get("next_income"), "$2,100.00 on Sunday, March 15");
  EXPECT_EQ(v.get("next_income_amount"), "$2,100.00");
  EXPECT_EQ(v.get("next_income_date"), "Sunday, March 15");
  EXPECT_EQ(v.get("unsubscribe_url"), "https://bank.example/u?token=abc");
}

TEST_F(CopyTest, SaysSoWhenNoBillOrIncomeIsExpected) {
  forecast.drivers.clear();
  forecast.next_income_date.reset();
  const CopyValues v = values();
  EXPECT_EQ(v.get("bills"), "no large bills");
  EXPECT_EQ(v.get("top_bill"), "");
  EXPECT_EQ(v.get("next_income"), "none expected yet");
}

TEST_F(CopyTest, EscapesValuesInHtmlButNotTheTemplatesMarkup) {
  CopyVariant v;
  v.subject = "Due: {{top_bill}}";
  v.text_body = "Due: {{top_bill}} (stop: {{unsubscribe_url}})";
  v.html_body = "<p>Due: <b>{{top_bill}}</b> <a href=\"{{unsubscribe_url}}\">stop</a></p>";
  v.in_app_text = "{{top_bill}} on {{top_bill_date}}";
  const RenderedCopy r = render_copy(v, values());
  EXPECT_EQ(r.subject, "Due: Rent & <utilities>");
  EXPECT_EQ(r.text_body, "Due: Rent & <utilities> (stop: https://bank.example/u?token=abc)");
  EXPECT_EQ(r.html_body,
            "<p>Due: <b>Rent &amp; &lt;utilities&gt;</b> <a href=\"https://bank.example/u?token=abc\">stop</a></p>");
  EXPECT_EQ(r.in_app_text, "Rent & <utilities> on Friday, March 13");
}

// Copy that forgets the link still carries one: every email body ends with
// it, and the in-app text (no link there) is left alone.
TEST_F(CopyTest, AnEmailBodyWithoutTheUnsubscribeLinkGetsItAsItsLastLine) {
  CopyVariant v;
  v.subject = "Heads-up";
  v.text_body = "Due: {{top_bill}}";
  v.html_body = "<p>Due: {{top_bill}}</p>";
  v.in_app_text = "Due soon";
  const RenderedCopy r = render_copy(v, values());
  EXPECT_EQ(r.text_body, "Due: Rent & <utilities>\n\nStop these messages: https://bank.example/u?token=abc\n");
  EXPECT_EQ(r.html_body,
            "<p>Due: Rent &amp; &lt;utilities&gt;</p>\n<p style=\"font-size:small\"><a "
            "href=\"https://bank.example/u?token=abc\">Stop these messages</a></p>\n");
  EXPECT_EQ(r.in_app_text, "Due soon");

  CopyValues without_link = values();
  without_link.set("unsubscribe_url", "");
  EXPECT_EQ(render_copy(v, without_link).text_body, "Due: Rent & <utilities>");
}

// Found by fuzzing (tests/fuzz/templates_fuzz.cpp, docs/fuzzing.md): copy
// made of placeholders alone rendered empty without a bill, and the email
// went out without the link in its bodies.
TEST_F(CopyTest, ABodyThatRendersEmptyStillGetsTheUnsubscribeLink) {
  forecast.drivers.clear();
  CopyVariant v;
  v.subject = "Heads-up";
  v.text_body = "{{top_bill}}";
  v.html_body = "{{ top_bill_amount }}";
  const RenderedCopy r = render_copy(v, values());
  EXPECT_EQ(r.text_body, "\n\nStop these messages: https://bank.example/u?token=abc\n");
  EXPECT_NE(r.html_body.find("href=\"https://bank.example/u?token=abc\""), std::string::npos) << r.html_body;
  // No template, no body: nothing is added.
  v.html_body.clear();
  EXPECT_EQ(render_copy(v, values()).html_body, "");
}

TEST_F(CopyTest, ALineBreakInAValueNeverReachesTheSubject) {
  forecast.drivers[1].label = "Rent\r\nBcc: x@evil.example";
  CopyVariant v;
  v.subject = "{{top_bill}}";
  EXPECT_EQ(render_copy(v, values()).subject, "Rent  Bcc: x@evil.example");
}

TEST_F(CopyTest, UsesTheGenericFormatForOtherLocales) {
  const CopyValues v = make_copy_values(forecast, Money::from_cents(0), make_date(2026, 3, 10), "EUR", "de-DE", "");
  EXPECT_EQ(v.get("shortfall"), "84.50 EUR");
  EXPECT_EQ(v.get("first_risky_day"), "2026-03-13");
}

}  // namespace
}  // namespace headroom::nudges
