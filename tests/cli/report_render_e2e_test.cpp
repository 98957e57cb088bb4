// index.html in a real browser: headless Chromium (Debian's `chromium`) opens
// the page, the DOM it built holds every key element with content, nothing
// was logged to the console, and a screenshot is kept for a human to look at.
// The console check is shown to work on a page that does log an error.
// Skipped, saying why, when chromium is not installed.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "measurement/report_html.hpp"
#include "tests/db/db_test_support.hpp"
#include "tests/measurement/report_fixture.hpp"

namespace headroom::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string find_chromium() {
  if (const char* env = std::getenv("HEADROOM_CHROMIUM"); env && *env) return env;
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (::access(p, X_OK) == 0) return p;
  return "";
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Where the page and its screenshot are kept: the test's working folder
// (under the build tree when CTest runs it).
fs::path output_dir(const std::string& name) {
  const fs::path dir = fs::current_path() / "report_render" / name;
  fs::create_directories(dir);
  return dir;
}

struct BrowserRun {
  int exit_code = -1;
  std::string dom;
  std::vector<std::string> console;  // every console message the page produced
};

std::string browser_flags(const fs::path& profile) {
  // As root, Chromium refuses to start without --no-sandbox.
  std::string flags = "--headless --disable-gpu --hide-scrollbars --no-first-run --user-data-dir=" +
                      shell_quote(profile.string());
  if (::geteuid() == 0) flags += " --no-sandbox";
  return flags;
}

// The DOM after loading (and any scripts), and the console: with
// --enable-logging=stderr every console message (log, warning or error,
// uncaught exceptions included) becomes a stderr line tagged ":CONSOLE".
// The report has no script, so it should produce none at all.
BrowserRun open_page(const std::string& chromium, const fs::path& page, const fs::path& work) {
  BrowserRun run;
  const fs::path dom = work / "dom.html", log = work / "chromium.log";
  // In a subshell: run_command appends its own 2>&1, which must not undo ours.
  const auto r = run_command("(" + shell_quote(chromium) + " " + browser_flags(work / "profile") +
                             " --enable-logging=stderr --v=0 --dump-dom " +
                             shell_quote("file://" + fs::absolute(page).string()) + " >" + shell_quote(dom.string()) +
                             " 2>" + shell_quote(log.string()) + ")");
  run.exit_code = r.exit_code;
  run.dom = read(dom);
  std::istringstream lines(read(log));
  for (std::string line; std::getline(lines, line);)
    if (line.find(":CONSOLE") != std::string::npos) run.console.push_back(line);
  return run;
}

int screenshot(const std::string& chromium, const fs::path& page, const fs::path& png, const fs::path& work) {
  return run_command(shell_quote(chromium) + " " + browser_flags(work / "profile-shot") +
                     " --window-size=1280,5200 --screenshot=" + shell_quote(png.string()) + " " +
                     shell_quote("file://" + fs::absolute(page).string()))
      .exit_code;
}

// The markup inside the element with this id, up to its closing tag.
std::string element(const std::string& dom, const std::string& tag, const std::string& id) {
  const auto open = dom.find("<" + tag + " id=\"" + id + "\"");
  if (open == std::string::npos) return "";
  const auto body = dom.find('>', open) + 1;
  const auto close = dom.find("</" + tag + ">", body);
  return close == std::string::npos ? "" : dom.substr(body, close - body);
}

std::string text_of(const std::string& markup) {
  std::string t = std::regex_replace(markup, std::regex("<[^>]*>"), " ");
  return std::regex_replace(t, std::regex("\\s+"), " ");
}

TEST(ReportRender, PageOpensInChromiumWithEveryKeyElementFilledAndNoConsoleMessages) {
  const std::string chromium = find_chromium();
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed (apt-get install chromium; scripts/bootstrap.sh)";
  const fs::path dir = output_dir("sample");
  const fs::path page = dir / "index.html";
  std::ofstream(page, std::ios::binary) << measurement::render_report_html(measurement::testing::sample_analysis());

  const BrowserRun run = open_page(chromium, page, dir);
  ASSERT_EQ(run.exit_code, 0) << read(dir / "chromium.log");
  ASSERT_GT(fs::file_size(dir / "chromium.log"), 0u) << "chromium's log was not captured: the console check would be blind";
  EXPECT_THAT(run.console, IsEmpty());

  EXPECT_THAT(text_of(element(run.dom, "section", "headline")),
              HasSubstr("Nudges reduced overdraft incidence by 20% (95% CI "));
  EXPECT_THAT(text_of(element(run.dom, "p", "sequential")), HasSubstr("confidence sequence "));
  EXPECT_THAT(text_of(element(run.dom, "section", "sample-ratio")), HasSubstr("Sample ratio OK"));
  EXPECT_THAT(element(run.dom, "section", "caveats"), HasSubstr("<li>"));
  for (const auto& [chart, mark] : std::vector<std::pair<std::string, std::string>>{
           {"effect-chart", "<circle"}, {"weekly-chart", "<polyline"}, {"funnel-chart", "<rect"},
           {"calibration-chart", "<circle"}})
    EXPECT_THAT(element(run.dom, "svg", chart), HasSubstr(mark)) << chart;
  EXPECT_THAT(element(run.dom, "table", "effects-table"), HasSubstr("<td>"));
  EXPECT_THAT(element(run.dom, "table", "segment-table"), HasSubstr("500-2k"));
  EXPECT_THAT(element(run.dom, "table", "variant-table"), HasSubstr("p (Holm)"));
  EXPECT_THAT(element(run.dom, "table", "variant-pair-table"), HasSubstr("<td>urgent</td>"));
  EXPECT_THAT(element(run.dom, "table", "calibration-table"), HasSubstr("<td>"));

  const fs::path png = dir / "screenshot.png";
  fs::remove(png);
  ASSERT_EQ(screenshot(chromium, page, png, dir), 0);
  ASSERT_TRUE(fs::exists(png));
  EXPECT_EQ(read(png).substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_GT(fs::file_size(png), 20000u);  // a rendered page, not a blank one
  std::cout << "report page: " << page.string() << "\nscreenshot: " << png.string() << std::endl;
  RecordProperty("screenshot", png.string());
}

TEST(ReportRender, ConsoleCheckCatchesAPageThatLogsAnError) {
  const std::string chromium = find_chromium();
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed (apt-get install chromium; scripts/bootstrap.sh)";
  const fs::path dir = output_dir("console-error");
  const fs::path page = dir / "index.html";
  std::ofstream(page, std::ios::binary)
      << "<!DOCTYPE html><html><body><p id=\"x\">hello</p><script>console.error('report check: boom');"
         "throw new Error('report check: uncaught');</script></body></html>";
  const BrowserRun run = open_page(chromium, page, dir);
  ASSERT_EQ(run.exit_code, 0);
  ASSERT_EQ(run.console.size(), 2u);
  EXPECT_THAT(run.console[0], HasSubstr("report check: boom"));
  EXPECT_THAT(run.console[1], HasSubstr("Uncaught Error: report check: uncaught"));
}

}  // namespace
}  // namespace headroom::testing
