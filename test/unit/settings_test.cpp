#include "settings.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using Env = std::map<std::string, std::string>;

const std::string kSecret = "0123456789abcdef0123456789abcdef-secret";  // 39 bytes

shim::Settings parse(std::vector<std::string> args, const Env& env) {
  std::vector<const char*> argv{"boxoffice-http"};
  for (const auto& a : args) argv.push_back(a.c_str());
  return shim::parse_settings(static_cast<int>(argv.size()), argv.data(), env);
}

// The message of the SettingsError thrown, or "" when none is.
std::string error_of(std::vector<std::string> args, const Env& env) {
  try {
    parse(std::move(args), env);
  } catch (const shim::SettingsError& e) {
    return e.what();
  }
  return "";
}

Env minimal() { return {{"BOXOFFICE_DATABASE_URL", "dbname=boxoffice"}, {"BOXOFFICE_JWT_SECRET", kSecret}}; }

// A file that removes itself.
struct TempFile {
  std::string path;
  explicit TempFile(const std::string& content) {
    char name[] = "/tmp/boxoffice-settings-test-XXXXXX";
    int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    close(fd);
    path = name;
    std::ofstream(path, std::ios::binary) << content;
  }
  ~TempFile() { std::remove(path.c_str()); }
};

TEST(Settings, Defaults) {
  shim::Settings s = parse({}, minimal());
  EXPECT_EQ(s.listen_host, "127.0.0.1");
  EXPECT_EQ(s.port, 8080);
  EXPECT_EQ(s.threads, 16);
  EXPECT_EQ(s.database_url, "dbname=boxoffice");
  EXPECT_EQ(s.pool_size, 8);
  EXPECT_EQ(s.pool_wait_ms, 1000);
  EXPECT_EQ(s.statement_timeout_ms, 5000);
  EXPECT_EQ(s.jwt_secret, kSecret);
  EXPECT_EQ(s.jwt_issuer, "boxoffice");
  EXPECT_EQ(s.jwt_audience, "boxoffice");
  EXPECT_EQ(s.token_ttl_s, 3600);
  EXPECT_EQ(s.max_body_bytes, 65536u);
  EXPECT_EQ(s.port_file, "");
  EXPECT_FALSE(s.help);
}

TEST(Settings, EveryFlag) {
  shim::Settings s = parse({"--host", "0.0.0.0", "--port", "0", "--threads", "4", "--database-url", "postgres://x/y",
                            "--pool-size", "3", "--pool-wait-ms", "50", "--statement-timeout-ms", "1000",
                            "--jwt-issuer", "iss", "--jwt-audience", "aud", "--token-ttl", "60", "--max-body-bytes",
                            "1024", "--port-file", "/tmp/port"},
                           minimal());
  EXPECT_EQ(s.listen_host, "0.0.0.0");
  EXPECT_EQ(s.port, 0);
  EXPECT_EQ(s.threads, 4);
  EXPECT_EQ(s.database_url, "postgres://x/y");
  EXPECT_EQ(s.pool_size, 3);
  EXPECT_EQ(s.pool_wait_ms, 50);
  EXPECT_EQ(s.statement_timeout_ms, 1000);
  EXPECT_EQ(s.jwt_issuer, "iss");
  EXPECT_EQ(s.jwt_audience, "aud");
  EXPECT_EQ(s.token_ttl_s, 60);
  EXPECT_EQ(s.max_body_bytes, 1024u);
  EXPECT_EQ(s.port_file, "/tmp/port");
}

TEST(Settings, EqualsForm) {
  shim::Settings s = parse({"--port=9000", "--database-url=host=db user=app", "--jwt-issuer=a=b"}, minimal());
  EXPECT_EQ(s.port, 9000);
  EXPECT_EQ(s.database_url, "host=db user=app");  // only the first '=' splits
  EXPECT_EQ(s.jwt_issuer, "a=b");
}

TEST(Settings, EveryVariable) {
  Env env = minimal();
  env["BOXOFFICE_HTTP_HOST"] = "::1";
  env["BOXOFFICE_HTTP_PORT"] = "65535";
  env["BOXOFFICE_HTTP_THREADS"] = "1024";
  env["BOXOFFICE_POOL_SIZE"] = "1000";
  env["BOXOFFICE_POOL_WAIT_MS"] = "60000";
  env["BOXOFFICE_STATEMENT_TIMEOUT_MS"] = "600000";
  env["BOXOFFICE_JWT_ISSUER"] = "i";
  env["BOXOFFICE_JWT_AUDIENCE"] = "a";
  env["BOXOFFICE_TOKEN_TTL"] = "86400";
  env["BOXOFFICE_MAX_BODY_BYTES"] = "67108864";
  env["BOXOFFICE_HTTP_PORT_FILE"] = "/run/port";
  shim::Settings s = parse({}, env);
  EXPECT_EQ(s.listen_host, "::1");
  EXPECT_EQ(s.port, 65535);
  EXPECT_EQ(s.threads, 1024);
  EXPECT_EQ(s.pool_size, 1000);
  EXPECT_EQ(s.pool_wait_ms, 60000);
  EXPECT_EQ(s.statement_timeout_ms, 600000);
  EXPECT_EQ(s.jwt_issuer, "i");
  EXPECT_EQ(s.jwt_audience, "a");
  EXPECT_EQ(s.token_ttl_s, 86400);
  EXPECT_EQ(s.max_body_bytes, 67108864u);
  EXPECT_EQ(s.port_file, "/run/port");
}

TEST(Settings, FlagOverridesVariable) {
  Env env = minimal();
  env["BOXOFFICE_HTTP_PORT"] = "1111";
  env["BOXOFFICE_DATABASE_URL"] = "dbname=from_env";
  shim::Settings s = parse({"--port", "2222", "--database-url=dbname=from_flag"}, env);
  EXPECT_EQ(s.port, 2222);
  EXPECT_EQ(s.database_url, "dbname=from_flag");
}

TEST(Settings, FlagHidesABadVariable) {
  Env env = minimal();
  env["BOXOFFICE_HTTP_PORT"] = "nonsense";
  EXPECT_EQ(parse({"--port", "1"}, env).port, 1);
}

TEST(Settings, LastFlagWins) { EXPECT_EQ(parse({"--port", "1", "--port=2"}, minimal()).port, 2); }

TEST(Settings, EmptyVariableCountsAsUnset) {
  Env env = minimal();
  env["BOXOFFICE_HTTP_PORT"] = "";
  EXPECT_EQ(parse({}, env).port, 8080);
}

TEST(Settings, BadNumbers) {
  EXPECT_EQ(error_of({"--port", "abc"}, minimal()), "--port must be an integer between 0 and 65535, got 'abc'");
  EXPECT_EQ(error_of({"--port=65536"}, minimal()), "--port must be an integer between 0 and 65535, got '65536'");
  EXPECT_EQ(error_of({"--port=-1"}, minimal()), "--port must be an integer between 0 and 65535, got '-1'");
  EXPECT_EQ(error_of({"--port="}, minimal()), "--port must be an integer between 0 and 65535, got ''");
  EXPECT_EQ(error_of({"--port", "80x"}, minimal()), "--port must be an integer between 0 and 65535, got '80x'");
  EXPECT_EQ(error_of({"--port", " 80"}, minimal()), "--port must be an integer between 0 and 65535, got ' 80'");
  EXPECT_EQ(error_of({"--port", "1e3"}, minimal()), "--port must be an integer between 0 and 65535, got '1e3'");
  EXPECT_EQ(error_of({"--port", "99999999999999999999999"}, minimal()),
            "--port must be an integer between 0 and 65535, got '99999999999999999999999'");
  EXPECT_EQ(error_of({"--threads", "0"}, minimal()), "--threads must be an integer between 1 and 1024, got '0'");
  EXPECT_EQ(error_of({"--pool-size", "1001"}, minimal()),
            "--pool-size must be an integer between 1 and 1000, got '1001'");
  EXPECT_EQ(error_of({"--pool-wait-ms", "0"}, minimal()),
            "--pool-wait-ms must be an integer between 1 and 60000, got '0'");
  EXPECT_EQ(error_of({"--statement-timeout-ms", "600001"}, minimal()),
            "--statement-timeout-ms must be an integer between 1 and 600000, got '600001'");
  EXPECT_EQ(error_of({"--token-ttl", "59"}, minimal()),
            "--token-ttl must be an integer between 60 and 86400, got '59'");
  EXPECT_EQ(error_of({"--max-body-bytes", "1023"}, minimal()),
            "--max-body-bytes must be an integer between 1024 and 67108864, got '1023'");
}

TEST(Settings, BadNumberInVariableNamesTheVariable) {
  Env env = minimal();
  env["BOXOFFICE_HTTP_THREADS"] = "many";
  EXPECT_EQ(error_of({}, env), "BOXOFFICE_HTTP_THREADS must be an integer between 1 and 1024, got 'many'");
}

TEST(Settings, UnknownFlag) {
  EXPECT_EQ(error_of({"--foo"}, minimal()), "unknown option --foo (see --help)");
  EXPECT_EQ(error_of({"--foo=bar"}, minimal()), "unknown option --foo (see --help)");
  EXPECT_NE(error_of({"-p", "80"}, minimal()), "");
  EXPECT_NE(error_of({"stray"}, minimal()), "");
}

TEST(Settings, MissingValue) {
  EXPECT_EQ(error_of({"--port"}, minimal()), "--port needs a value");
  EXPECT_EQ(error_of({"--host", "--port", "1"}, minimal()), "--host needs a value");
}

TEST(Settings, DatabaseUrlRequired) {
  Env env = minimal();
  env.erase("BOXOFFICE_DATABASE_URL");
  std::string error = error_of({}, env);
  EXPECT_NE(error.find("--database-url"), std::string::npos) << error;
  EXPECT_NE(error.find("BOXOFFICE_DATABASE_URL"), std::string::npos) << error;
  EXPECT_NE(error_of({"--database-url="}, minimal()), "");
}

TEST(Settings, HelpNeedsNothingElse) {
  EXPECT_TRUE(parse({"--help"}, {}).help);
  EXPECT_TRUE(parse({"--port", "abc", "--help"}, {}).help);
  EXPECT_TRUE(parse({"--nonsense", "--help"}, {}).help);
}

TEST(Settings, PrintOpenapiNeedsNothingElse) {
  shim::Settings s = parse({"--print-openapi"}, {});
  EXPECT_TRUE(s.print_openapi);
  EXPECT_FALSE(s.help);
  EXPECT_FALSE(parse({}, minimal()).print_openapi);
  EXPECT_TRUE(parse({"--print-openapi", "--help"}, {}).help);
  // it takes no value, and a mistake beside it is still reported
  EXPECT_EQ(error_of({"--print-openapi=yes"}, {}), "--print-openapi takes no value");
  EXPECT_EQ(error_of({"--print-openapi", "--port", "abc"}, {}), "--port must be an integer between 0 and 65535, got 'abc'");
  EXPECT_EQ(error_of({"--print-openapi", "--bogus"}, {}), "unknown option --bogus (see --help)");
}

TEST(Settings, SecretFromVariable) { EXPECT_EQ(parse({}, minimal()).jwt_secret, kSecret); }

TEST(Settings, SecretFromFileTrimsOneNewline) {
  TempFile file(kSecret + "\n");
  Env env = {{"BOXOFFICE_DATABASE_URL", "x"}};
  EXPECT_EQ(parse({"--jwt-secret-file", file.path}, env).jwt_secret, kSecret);
  env["BOXOFFICE_JWT_SECRET_FILE"] = file.path;
  EXPECT_EQ(parse({}, env).jwt_secret, kSecret);

  TempFile crlf(kSecret + "\r\n");
  EXPECT_EQ(parse({"--jwt-secret-file=" + crlf.path}, env).jwt_secret, kSecret);
  TempFile bare(kSecret);
  EXPECT_EQ(parse({"--jwt-secret-file=" + bare.path}, env).jwt_secret, kSecret);
}

TEST(Settings, SecretFileWinsOverSecretVariable) {
  TempFile file(std::string(40, 'f'));
  Env env = minimal();
  env["BOXOFFICE_JWT_SECRET_FILE"] = file.path;
  EXPECT_EQ(parse({}, env).jwt_secret, std::string(40, 'f'));
}

TEST(Settings, UnreadableSecretFileNamesTheFile) {
  Env env = {{"BOXOFFICE_DATABASE_URL", "x"}};
  std::string error = error_of({"--jwt-secret-file", "/nonexistent/boxoffice-secret"}, env);
  EXPECT_NE(error.find("/nonexistent/boxoffice-secret"), std::string::npos) << error;
  EXPECT_NE(error.find("No such file"), std::string::npos) << error;
  error = error_of({"--jwt-secret-file", "/tmp"}, env);  // a directory
  EXPECT_NE(error.find("'/tmp'"), std::string::npos) << error;
}

TEST(Settings, SecretRequired) {
  std::string error = error_of({}, {{"BOXOFFICE_DATABASE_URL", "x"}});
  EXPECT_NE(error.find("BOXOFFICE_JWT_SECRET"), std::string::npos) << error;
  EXPECT_NE(error.find("--jwt-secret-file"), std::string::npos) << error;
}

TEST(Settings, ShortSecretIsRefusedWithoutShowingIt) {
  const std::string short_secret = "hunter2-hunter2-hunter2-hunter2";  // 31 bytes
  Env env = {{"BOXOFFICE_DATABASE_URL", "x"}, {"BOXOFFICE_JWT_SECRET", short_secret}};
  std::string error = error_of({}, env);
  EXPECT_NE(error.find("32"), std::string::npos) << error;
  EXPECT_EQ(error.find("hunter2"), std::string::npos) << error;

  TempFile file(short_secret + "\n");
  error = error_of({"--jwt-secret-file", file.path}, {{"BOXOFFICE_DATABASE_URL", "x"}});
  EXPECT_NE(error.find(file.path), std::string::npos) << error;
  EXPECT_EQ(error.find("hunter2"), std::string::npos) << error;

  env["BOXOFFICE_JWT_SECRET"] = std::string(32, 'k');  // exactly enough
  EXPECT_EQ(parse({}, env).jwt_secret.size(), 32u);
}

TEST(Settings, SecretNeverOnTheCommandLine) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"--jwt-secret", "hunter2hunter2hunter2hunter2hunter2"},
                                                               {"--jwt-secret=hunter2hunter2hunter2hunter2hunter2"},
                                                               {"--jwt-secrt=hunter2hunter2hunter2hunter2hunter2"},
                                                               {"--bogus", "hunter2hunter2hunter2hunter2hunter2"}}) {
    std::string error = error_of(args, minimal());
    EXPECT_NE(error, "");
    EXPECT_EQ(error.find("hunter2"), std::string::npos) << error;
  }
  EXPECT_NE(error_of({"--jwt-secret=x"}, minimal()).find("--jwt-secret-file"), std::string::npos);
}

TEST(Settings, HelpTextMentionsEverything) {
  std::string help = shim::help_text();
  EXPECT_EQ(help.rfind("usage: boxoffice-http", 0), 0u) << help;
  for (const char* word :
       {"--host", "BOXOFFICE_HTTP_HOST", "--port", "BOXOFFICE_HTTP_PORT", "--threads", "BOXOFFICE_HTTP_THREADS",
        "--database-url", "BOXOFFICE_DATABASE_URL", "--pool-size", "BOXOFFICE_POOL_SIZE", "--pool-wait-ms",
        "BOXOFFICE_POOL_WAIT_MS", "--statement-timeout-ms", "BOXOFFICE_STATEMENT_TIMEOUT_MS", "--jwt-secret-file",
        "BOXOFFICE_JWT_SECRET_FILE", "BOXOFFICE_JWT_SECRET ", "--jwt-issuer", "BOXOFFICE_JWT_ISSUER",
        "--jwt-audience", "BOXOFFICE_JWT_AUDIENCE", "--token-ttl", "BOXOFFICE_TOKEN_TTL", "--max-body-bytes",
        "BOXOFFICE_MAX_BODY_BYTES", "--port-file", "BOXOFFICE_HTTP_PORT_FILE", "--help", "127.0.0.1", "8080",
        "--secret-attempts-per-minute", "BOXOFFICE_SECRET_ATTEMPTS_PER_MINUTE", "--trusted-proxies",
        "BOXOFFICE_TRUSTED_PROXIES", "--print-openapi",
        "65536", "3600", "5000"})
    EXPECT_NE(help.find(word), std::string::npos) << word;
  // Every flag in the help is one the parser accepts.
  std::istringstream lines(help);
  int flags = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("  --", 0) != 0) continue;
    std::string flag = line.substr(2, line.find(' ', 2) - 2);
    ++flags;
    if (flag != "--help" && flag != "--print-openapi") {
      EXPECT_EQ(error_of({flag}, minimal()), flag + " needs a value");
    }
  }
  EXPECT_EQ(flags, 24);
}

TEST(Settings, TrustedProxies) {
  shim::Settings s = parse({"--trusted-proxies", "10.0.0.0/8, 127.0.0.1,::1"}, minimal());
  EXPECT_TRUE(s.trusted_proxies.contains("10.1.2.3"));
  EXPECT_TRUE(s.trusted_proxies.contains("::1"));
  EXPECT_FALSE(s.trusted_proxies.contains("192.168.0.1"));
  EXPECT_TRUE(parse({}, minimal()).trusted_proxies.empty());
  EXPECT_EQ(error_of({"--trusted-proxies", "10.0.0.0/33"}, minimal()),
            "--trusted-proxies: '10.0.0.0/33' is not an IP address or a CIDR block such as 10.0.0.0/8");
  EXPECT_EQ(error_of({"--trusted-proxies", "proxy.example.com"}, minimal()),
            "--trusted-proxies: 'proxy.example.com' is not an IP address or a CIDR block such as 10.0.0.0/8");
}

TEST(Settings, ProcessEnvironment) {
  setenv("BOXOFFICE_SETTINGS_TEST", "a=b", 1);
  auto env = shim::process_environment();
  EXPECT_EQ(env["BOXOFFICE_SETTINGS_TEST"], "a=b");
  unsetenv("BOXOFFICE_SETTINGS_TEST");
}

}  // namespace

TEST(Settings, Gateway) {
  shim::Settings none = parse({}, minimal());
  EXPECT_EQ(none.gateway_url, "");
  EXPECT_EQ(none.reconcile_interval_ms, 0);
  EXPECT_EQ(none.reconcile_after_s, 30);
  EXPECT_EQ(none.gateway_timeout_ms, 10000);
  Env env = minimal();
  env["BOXOFFICE_GATEWAY_SECRET_KEY"] = "test_sk_x";
  shim::Settings s = parse({"--gateway-url", "http://127.0.0.1:8090", "--reconcile-interval-ms", "2000"}, env);
  EXPECT_EQ(s.gateway_url, "http://127.0.0.1:8090");
  EXPECT_EQ(s.gateway_secret_key, "test_sk_x");
  EXPECT_EQ(s.reconcile_interval_ms, 2000);
  // a gateway needs its key, and https (or http, for a local one)
  EXPECT_NE(error_of({"--gateway-url", "http://127.0.0.1:8090"}, minimal()).find("gateway secret key is required"),
            std::string::npos);
  EXPECT_EQ(parse({"--gateway-url", "https://api.tosspayments.com", "--gateway-ca-file", "/etc/ssl/certs/ca-certificates.crt"}, env)
                .gateway_ca_file,
            "/etc/ssl/certs/ca-certificates.crt");
  EXPECT_NE(error_of({"--gateway-url", "ftp://api.tosspayments.com"}, env).find("must start with https:// or http://"),
            std::string::npos);
  EXPECT_NE(error_of({"--gateway-url", "http://127.0.0.1:8090", "--gateway-ca-file", "ca.pem"}, env).find("is for an https"),
            std::string::npos);
  // plain http only to this machine; a CA file that is not there is refused at once
  EXPECT_EQ(parse({"--gateway-url", "http://localhost:8090/"}, env).gateway_url, "http://localhost:8090/");
  EXPECT_EQ(parse({"--gateway-url", "http://[::1]:8090"}, env).gateway_url, "http://[::1]:8090");
  EXPECT_NE(error_of({"--gateway-url", "http://api.tosspayments.com"}, env).find("use https:// for 'api.tosspayments.com'"),
            std::string::npos);
  EXPECT_NE(error_of({"--gateway-url", "http://127.0.0.1.example.com:80"}, env).find("use https://"), std::string::npos);
  EXPECT_NE(error_of({"--gateway-url", "https://api.tosspayments.com", "--gateway-ca-file", "/nonexistent/ca.pem"}, env)
                .find("cannot read /nonexistent/ca.pem"),
            std::string::npos);
  EXPECT_EQ(error_of({"--gateway-secret-key", "x"}, minimal()), "unknown option --gateway-secret-key (see --help)");
}
