#include "stack/config/json.h"

#include <gtest/gtest.h>

#include "stack/config/schema.h"

namespace vnetref::config {
namespace {

TEST(Json, ParsesAllTypesWithLocations) {
  auto r = parse_json("{\n  \"a\": [1, -2.5, true, null],\n  \"b\": \"x\\u00e9\\n\"\n}");
  ASSERT_TRUE(r) << r.error().to_string();
  const Json& j = *r;
  ASSERT_TRUE(j.is_object());
  const Json* a = j.find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->location().line, 2u);
  EXPECT_EQ(a->location().column, 8u);
  EXPECT_EQ(a->items()[0].as_int(), 1);
  EXPECT_DOUBLE_EQ(a->items()[1].as_double(), -2.5);
  EXPECT_FALSE(a->items()[1].is_integer());
  EXPECT_TRUE(a->items()[2].as_bool());
  EXPECT_TRUE(a->items()[3].is_null());
  EXPECT_EQ(j.find("b")->as_string(), "x\xc3\xa9\n");
}

TEST(Json, DumpRoundTripsAndKeepsKeyOrder) {
  auto r = parse_json(R"({"z":1,"a":{"k":[1,2,{"q":"w"}]},"m":"s\"t"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->dump(), R"({"z":1,"a":{"k":[1,2,{"q":"w"}]},"m":"s\"t"})");
  auto again = parse_json(r->dump(2));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->dump(), r->dump());
}

TEST(Json, MalformedInputGivesLineAndColumn) {
  struct Case {
    const char* text;
    uint32_t line;
  } cases[] = {
      {"{\n \"a\": tru }", 2}, {"[1,\n2,\n]", 3},  {"{\"a\":1,\"a\":2}", 1}, {"\"abc", 1},
      {"01", 1},              {"[1 2]", 1},        {"{\"a\" 1}", 1},        {"", 1},
      {"\"\\ud800\"", 1},     {"1.", 1},           {"{} x", 1},
  };
  for (const auto& c : cases) {
    auto r = parse_json(c.text);
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().where.line, c.line) << c.text << ": " << r.error().to_string();
  }
}

TEST(Json, DepthAndSizeAreBounded) {
  std::string deep(100, '[');
  deep += std::string(100, ']');
  EXPECT_FALSE(parse_json(deep));
  EXPECT_TRUE(parse_json(deep, JsonLimits{1024, 200}));
  EXPECT_FALSE(parse_json("[1,2,3]", JsonLimits{3, 64}));
}

TEST(ObjectReader, NamesFieldAndLineOnErrors) {
  auto r = parse_json("{\n  \"vlan\": 5000,\n  \"name\": 3,\n  \"mode\": \"x\",\n  \"typo\": 1\n}");
  ASSERT_TRUE(r);
  std::vector<ConfigError> errors;
  ObjectReader o(*r, "port_groups[2]", errors);
  EXPECT_FALSE(o.integer("vlan", 0, 4095, 0));
  EXPECT_FALSE(o.string("name", std::nullopt));
  EXPECT_FALSE(o.choice("mode", {"a", "b"}, "a"));
  EXPECT_EQ(*o.integer("mtu", 68, 9000, 1500), 1500);  // absent: default
  EXPECT_FALSE(o.integer("required_thing", 0, 1, std::nullopt));
  o.reject_unknown_keys();
  ASSERT_EQ(errors.size(), 5u);
  EXPECT_EQ(errors[0].to_string(), "line 2, column 11: port_groups[2].vlan: must be 0..4095, got 5000");
  EXPECT_EQ(errors[1].path, "port_groups[2].name");
  EXPECT_EQ(errors[1].where.line, 3u);
  EXPECT_EQ(errors[2].message, "must be one of a, b, got \"x\"");
  EXPECT_EQ(errors[3].message, "required field is missing");
  EXPECT_EQ(errors[4].path, "port_groups[2].typo");
  EXPECT_EQ(errors[4].where.line, 5u);
}

}  // namespace
}  // namespace vnetref::config
