// sca-server's digest arithmetic (examples/sca-server/digest.hpp) against
// the published vectors: RFC 1321 §A.5 (MD5), FIPS 180-2 appendix B
// (SHA-256), RFC 4231 §4.3 (HMAC-SHA-256), RFC 2617 §3.5 and RFC 7616
// §3.9.1 (digest responses, MD5 and SHA-256); then the server's nonces and
// the credentials file.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "digest.hpp"

#include <sstream>
#include <string>

namespace d = sca::digest;

TEST_CASE("MD5: RFC 1321 A.5") {
  CHECK(d::hex(d::md5("")) == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(d::hex(d::md5("abc")) == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(d::hex(d::md5("message digest")) == "f96b697d7cb7938d525a2f31aaf161d0");
  CHECK(d::hex(d::md5("12345678901234567890123456789012345678901234567890123456789012345678901234567890")) ==
        "57edf4a22be3c955ac49da2e2107b67a");
}

TEST_CASE("SHA-256: FIPS 180-2 B.1, B.2, and the padding boundaries") {
  CHECK(d::hex(d::sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(d::hex(d::sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(d::hex(d::sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(d::hex(d::sha256(std::string(1000000, 'a'))) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("HMAC-SHA-256: RFC 4231 test cases 2 and 6") {
  CHECK(d::hex(d::hmac_sha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(d::hex(d::hmac_sha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First")) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("digest response: RFC 2617 3.5 (MD5, qop=auth)") {
  std::string const ha1 = d::ha1(d::algorithm::md5, "Mufasa", "testrealm@host.com", "Circle Of Life");
  d::response_input in;
  in.method = "GET";
  in.uri = "/dir/index.html";
  in.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
  in.nc = "00000001";
  in.cnonce = "0a4f113b";
  in.qop = "auth";
  CHECK(d::response(d::algorithm::md5, ha1, in) == "6629fae49393a05397450978507c4ef1");
}

TEST_CASE("digest response: RFC 7616 3.9.1 (MD5 and SHA-256)") {
  d::response_input in;
  in.method = "GET";
  in.uri = "/dir/index.html";
  in.nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
  in.nc = "00000001";
  in.cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
  in.qop = "auth";
  std::string const md5 = d::ha1(d::algorithm::md5, "Mufasa", "http-auth@example.org", "Circle of Life");
  std::string const sha = d::ha1(d::algorithm::sha256, "Mufasa", "http-auth@example.org", "Circle of Life");
  CHECK(d::response(d::algorithm::md5, md5, in) == "8ca523f5e9506fed4657c9700eebdbec");
  CHECK(d::response(d::algorithm::sha256, sha, in) ==
        "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

TEST_CASE("algorithm names") {
  CHECK(d::parse_algorithm("") == d::algorithm::md5);
  CHECK(d::parse_algorithm("md5") == d::algorithm::md5);
  CHECK(d::parse_algorithm("SHA-256") == d::algorithm::sha256);
  CHECK(d::parse_algorithm("sha-256") == d::algorithm::sha256);
  CHECK_FALSE(d::parse_algorithm("SHA-256-sess"));
  CHECK_FALSE(d::parse_algorithm("MD5-sess"));
}

TEST_CASE("nonces: valid within their lifetime, stale after, forged otherwise") {
  std::string const key = "0123456789abcdef0123456789abcdef";
  std::string const n = d::make_nonce(key, "example.org", 1000, 7);
  CHECK(n.size() == 64);
  CHECK(n.starts_with("00000000000003e80000000000000007"));
  CHECK(d::make_nonce(key, "example.org", 1000, 8) != n);
  using v = d::nonce_check::verdict;
  CHECK(d::check_nonce(key, "example.org", n, 1000, 300).v == v::valid);
  CHECK(d::check_nonce(key, "example.org", n, 1300, 300).v == v::valid);
  CHECK(d::check_nonce(key, "example.org", n, 1301, 300).v == v::stale);
  CHECK(d::check_nonce(key, "example.org", n, 999, 300).v == v::stale);  // from the future
  CHECK(d::check_nonce(key, "other.org", n, 1000, 300).v == v::forged);
  CHECK(d::check_nonce("another key", "example.org", n, 1000, 300).v == v::forged);
  std::string later = n;
  later[15] = '9';  // the time moved, the MAC not
  CHECK(d::check_nonce(key, "example.org", later, 1000, 300).v == v::forged);
  std::string other = n;
  other[31] = '8';  // another serial, the MAC not
  CHECK(d::check_nonce(key, "example.org", other, 1000, 300).v == v::forged);
  CHECK(d::check_nonce(key, "example.org", n.substr(1), 1000, 300).v == v::forged);
  CHECK(d::check_nonce(key, "example.org", "", 1000, 300).v == v::forged);
}

TEST_CASE("credentials file") {
  std::string const md5 = d::ha1(d::algorithm::md5, "alice", "sca", "secret");
  std::string const sha = d::ha1(d::algorithm::sha256, "alice", "sca", "secret");
  {
    std::istringstream in("# realm user ha1-md5 [ha1-sha256]\n\nsca alice " + md5 + " " + sha +
                          "  # both\n\tsca\tbob " + md5 + "\nsca carol - " + sha + "\n");
    d::credentials c;
    REQUIRE_FALSE(d::read_credentials(in, c));
    CHECK(c.size() == 3);
    CHECK(c.at({"sca", "alice"}).ha1_sha256 == sha);
    CHECK(c.at({"sca", "bob"}).ha1_md5 == md5);
    CHECK(c.at({"sca", "bob"}).ha1_sha256.empty());
    CHECK(c.at({"sca", "carol"}).ha1_md5.empty());
  }
  auto error_line = [](std::string const& text) {
    std::istringstream in(text);
    d::credentials c;
    auto const e = d::read_credentials(in, c);
    return e ? e->line : 0;
  };
  CHECK(error_line("sca alice\n") == 1);
  CHECK(error_line("\nsca alice 1234\n") == 2);
  CHECK(error_line("sca alice " + md5 + " " + md5 + "\n") == 1);   // not 64 digits
  CHECK(error_line("sca alice - -\n") == 1);
  CHECK(error_line("sca alice " + md5 + "\nsca alice " + md5 + "\n") == 2);
  CHECK(error_line("sca alice " + md5 + " " + sha + " extra\n") == 1);
}
