#include <callinfo/syntax/call_info.hpp>

#include <doctest/doctest.h>

TEST_CASE("Call-Info: RFC 3261 §20.9 example parses") {
  auto const r = callinfo::parse_call_info(
      "<http://wwww.example.com/alice/photo.jpg> ;purpose=icon, <http://www.example.com/alice/> ;purpose=info");
  REQUIRE(r);
  CHECK(r->size() == 2);
  CHECK(r->front().uri == "http://wwww.example.com/alice/photo.jpg");
  CHECK(r->front().purpose()->value == "icon");
}
