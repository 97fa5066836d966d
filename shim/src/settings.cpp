#include "settings.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

extern char** environ;

namespace shim {
namespace {

// The host of an http:// or https:// URL: what comes before its port and path.
std::string url_host(const std::string& url) {
  std::string rest = url.substr(url.find("://") + 3);
  rest = rest.substr(0, rest.find('/'));
  if (!rest.empty() && rest[0] == '[') return rest.substr(0, rest.find(']') + 1);  // [an IPv6 address]
  return rest.substr(0, rest.find(':'));
}

// One row per setting. The parser and --help both read this table, so a flag
// cannot exist without being documented (and the other way round).
struct Option {
  const char* flag;  // nullptr: environment only
  const char* env;   // nullptr: command line only
  enum Kind { text, number, secret_file, secret_text, gateway_secret_file, help, print_openapi } kind;
  long long min, max;  // for numbers
  std::string (*show_default)(const Settings&);
  void (*apply)(Settings&, long long number, const std::string& text);
  const char* meaning;
};

std::string none(const Settings&) { return "-"; }

const Option kOptions[] = {
    {"--host", "BOXOFFICE_HTTP_HOST", Option::text, 0, 0,
     [](const Settings& s) { return s.listen_host; },
     [](Settings& s, long long, const std::string& v) { s.listen_host = v; },
     "address to listen on"},
    {"--port", "BOXOFFICE_HTTP_PORT", Option::number, 0, 65535,
     [](const Settings& s) { return std::to_string(s.port); },
     [](Settings& s, long long n, const std::string&) { s.port = static_cast<int>(n); },
     "TCP port; 0 picks any free port"},
    {"--threads", "BOXOFFICE_HTTP_THREADS", Option::number, 1, 1024,
     [](const Settings& s) { return std::to_string(s.threads); },
     [](Settings& s, long long n, const std::string&) { s.threads = static_cast<int>(n); },
     "HTTP worker threads"},
    {"--database-url", "BOXOFFICE_DATABASE_URL", Option::text, 0, 0, none,
     [](Settings& s, long long, const std::string& v) { s.database_url = v; },
     "libpq conninfo or URI (required)"},
    {"--pool-size", "BOXOFFICE_POOL_SIZE", Option::number, 1, 1000,
     [](const Settings& s) { return std::to_string(s.pool_size); },
     [](Settings& s, long long n, const std::string&) { s.pool_size = static_cast<int>(n); },
     "database connections"},
    {"--pool-wait-ms", "BOXOFFICE_POOL_WAIT_MS", Option::number, 1, 60000,
     [](const Settings& s) { return std::to_string(s.pool_wait_ms); },
     [](Settings& s, long long n, const std::string&) { s.pool_wait_ms = static_cast<int>(n); },
     "wait this long for a free connection, then 503 + Retry-After"},
    {"--statement-timeout-ms", "BOXOFFICE_STATEMENT_TIMEOUT_MS", Option::number, 1, 600000,
     [](const Settings& s) { return std::to_string(s.statement_timeout_ms); },
     [](Settings& s, long long n, const std::string&) { s.statement_timeout_ms = static_cast<int>(n); },
     "statement_timeout of every query; past it 504"},
    {"--jwt-secret-file", "BOXOFFICE_JWT_SECRET_FILE", Option::secret_file, 0, 0, none, nullptr,
     "file holding the HS256 secret (>= 32 bytes; trailing newline trimmed)"},
    {nullptr, "BOXOFFICE_JWT_SECRET", Option::secret_text, 0, 0, none, nullptr,
     "the HS256 secret itself, if no file is given (never a flag: ps would show it)"},
    {"--jwt-issuer", "BOXOFFICE_JWT_ISSUER", Option::text, 0, 0,
     [](const Settings& s) { return s.jwt_issuer; },
     [](Settings& s, long long, const std::string& v) { s.jwt_issuer = v; },
     "iss of the tokens we issue and accept"},
    {"--jwt-audience", "BOXOFFICE_JWT_AUDIENCE", Option::text, 0, 0,
     [](const Settings& s) { return s.jwt_audience; },
     [](Settings& s, long long, const std::string& v) { s.jwt_audience = v; },
     "aud of the tokens we issue and accept"},
    {"--token-ttl", "BOXOFFICE_TOKEN_TTL", Option::number, 60, 86400,
     [](const Settings& s) { return std::to_string(s.token_ttl_s); },
     [](Settings& s, long long n, const std::string&) { s.token_ttl_s = static_cast<int>(n); },
     "lifetime of issued tokens, seconds"},
    {"--max-body-bytes", "BOXOFFICE_MAX_BODY_BYTES", Option::number, 1024, 67108864,
     [](const Settings& s) { return std::to_string(s.max_body_bytes); },
     [](Settings& s, long long n, const std::string&) { s.max_body_bytes = static_cast<size_t>(n); },
     "largest request body; larger gets 413"},
    {"--secret-attempts-per-minute", "BOXOFFICE_SECRET_ATTEMPTS_PER_MINUTE", Option::number, 1, 100000,
     [](const Settings& s) { return std::to_string(s.secret_attempts_per_minute); },
     [](Settings& s, long long n, const std::string&) { s.secret_attempts_per_minute = static_cast<int>(n); },
     "login and guest-lookup attempts per client address per minute; more get 429"},
    {"--seat-map-max-age-ms", "BOXOFFICE_SEAT_MAP_MAX_AGE_MS", Option::number, 0, 60000,
     [](const Settings& s) { return std::to_string(s.seat_map_max_age_ms); },
     [](Settings& s, long long n, const std::string&) { s.seat_map_max_age_ms = static_cast<int>(n); },
     "the oldest a served seat map may be; one request per performance refreshes it"},
    {"--trusted-proxies", "BOXOFFICE_TRUSTED_PROXIES", Option::text, 0, 0, none,
     [](Settings& s, long long, const std::string& v) { s.trusted_proxies_text = v; },
     "proxies (addresses or CIDR blocks, comma-separated) whose X-Forwarded-For names the client; none by default"},
    {"--port-file", "BOXOFFICE_HTTP_PORT_FILE", Option::text, 0, 0, none,
     [](Settings& s, long long, const std::string& v) { s.port_file = v; },
     "write the bound port to this file (useful with port 0)"},
    {"--gateway-url", "BOXOFFICE_GATEWAY_URL", Option::text, 0, 0, none,
     [](Settings& s, long long, const std::string& v) { s.gateway_url = v; },
     "the card payment gateway (Toss Payments' API), https://... (its certificate checked) or http://... (a local one), e.g. https://api.tosspayments.com; none: card payments answer 503"},
    {"--gateway-ca-file", "BOXOFFICE_GATEWAY_CA_FILE", Option::text, 0, 0, none,
     [](Settings& s, long long, const std::string& v) { s.gateway_ca_file = v; },
     "PEM file of the certificate authorities an https gateway's certificate is checked against; none: the system's"},
    {"--gateway-secret-key-file", "BOXOFFICE_GATEWAY_SECRET_KEY_FILE", Option::gateway_secret_file, 0, 0, none, nullptr,
     "file holding the gateway's secret key (trailing newline trimmed)"},
    {nullptr, "BOXOFFICE_GATEWAY_SECRET_KEY", Option::text, 0, 0, none,
     [](Settings& s, long long, const std::string& v) { s.gateway_secret_key = v; },
     "the gateway's secret key itself, if no file is given (never a flag: ps would show it)"},
    {"--gateway-timeout-ms", "BOXOFFICE_GATEWAY_TIMEOUT_MS", Option::number, 100, 120000,
     [](const Settings& s) { return std::to_string(s.gateway_timeout_ms); },
     [](Settings& s, long long n, const std::string&) { s.gateway_timeout_ms = static_cast<int>(n); },
     "longest wait for the gateway's answer; then the payment stays pending (202) until the reconciliation settles it"},
    {"--reconcile-interval-ms", "BOXOFFICE_RECONCILE_INTERVAL_MS", Option::number, 0, 3600000,
     [](const Settings& s) { return std::to_string(s.reconcile_interval_ms); },
     [](Settings& s, long long n, const std::string&) { s.reconcile_interval_ms = static_cast<int>(n); },
     "how often this process settles unsettled card payments with the gateway; 0: never (one process is enough)"},
    {"--reconcile-after-s", "BOXOFFICE_RECONCILE_AFTER_S", Option::number, 1, 86400,
     [](const Settings& s) { return std::to_string(s.reconcile_after_s); },
     [](Settings& s, long long n, const std::string&) { s.reconcile_after_s = static_cast<int>(n); },
     "a payment sent to the gateway without an outcome for this long is settled by the reconciliation"},
    {"--print-openapi", nullptr, Option::print_openapi, 0, 0, none, nullptr,
     "print the OpenAPI document (GET /openapi.json) and exit; needs no database or secret"},
    {"--help", nullptr, Option::help, 0, 0, none, nullptr, "print this help and exit"},
};

const Option* find_flag(const std::string& name) {
  for (const Option& o : kOptions)
    if (o.flag && name == o.flag) return &o;
  return nullptr;
}

// Strict: the whole string must be an optional sign and digits, so "8080x",
// " 80" and "1e3" are refused rather than half-read.
bool parse_integer(const std::string& text, long long min, long long max, long long* out) {
  size_t i = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? 1 : 0;
  if (i == text.size() || text.size() - i > 18) return false;  // 18 digits cannot overflow
  for (size_t j = i; j < text.size(); ++j)
    if (text[j] < '0' || text[j] > '9') return false;
  long long value = std::stoll(text);
  if (value < min || value > max) return false;
  *out = value;
  return true;
}

// The error names the file and the reason but never echoes content.
std::string read_secret_file(const std::string& path, const std::string& source) {
  const size_t limit = 65536;  // a secret is small; /dev/zero must not hang us
  auto cannot_read = [&](int error) {
    return SettingsError("cannot read the secret file '" + path + "' (" + source + "): " + std::strerror(error));
  };
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw cannot_read(errno);
  std::string content;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) {
    content.append(buffer, n);
    if (content.size() > limit) {
      std::fclose(f);
      throw SettingsError("the secret file '" + path + "' (" + source + ") is larger than " +
                          std::to_string(limit) + " bytes");
    }
  }
  int read_error = std::ferror(f) ? errno : 0;
  std::fclose(f);
  if (read_error) throw cannot_read(read_error);
  // Editors and `echo` add one newline; it is not part of the secret.
  if (!content.empty() && content.back() == '\n') content.pop_back();
  if (!content.empty() && content.back() == '\r') content.pop_back();
  return content;
}

}  // namespace

Settings parse_settings(int argc, const char* const* argv, const std::map<std::string, std::string>& env) {
  std::map<const Option*, std::string> given;  // by flag
  std::string first_error;
  bool help = false;
  bool print_openapi = false;

  // Keep scanning after an error so that --help anywhere still wins.
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i] ? argv[i] : "";
    auto fail = [&](const std::string& message) {
      if (first_error.empty()) first_error = message;
    };
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      fail("unexpected argument '" + arg + "' (see --help)");
      continue;
    }
    size_t eq = arg.find('=');
    std::string name = arg.substr(0, eq);
    const Option* o = find_flag(name);
    if (!o) {
      // Only the name is quoted: the value of a mistyped flag may be a secret.
      if (name == "--jwt-secret")
        fail("--jwt-secret is not accepted: a secret on the command line is visible to every user "
             "through ps; use --jwt-secret-file or BOXOFFICE_JWT_SECRET");
      else
        fail("unknown option " + name + " (see --help)");
      break;  // what follows may be this option's value; do not echo it
    }
    if (o->kind == Option::help || o->kind == Option::print_openapi) {
      if (eq != std::string::npos) fail(name + " takes no value");
      if (o->kind == Option::help) help = true;
      else print_openapi = true;
      continue;
    }
    if (eq != std::string::npos) {
      given[o] = arg.substr(eq + 1);
    } else if (i + 1 < argc && argv[i + 1] && std::string(argv[i + 1]).rfind("--", 0) != 0) {
      given[o] = argv[++i];
    } else {
      fail(name + " needs a value");
    }
  }
  for (int i = 1; i < argc && !help; ++i)
    if (argv[i] && std::string(argv[i]) == "--help") help = true;

  Settings s;
  if (help) {
    s.help = true;
    return s;
  }
  if (!first_error.empty()) throw SettingsError(first_error);

  // The flag if given, else the variable; an empty variable counts as unset
  // (compose files often carry FOO= lines).
  auto value_of = [&](const Option& o, std::string* value, std::string* source) {
    auto g = given.find(&o);
    if (g != given.end()) {
      *value = g->second;
      *source = o.flag;
      return true;
    }
    if (o.env) {
      auto e = env.find(o.env);
      if (e != env.end() && !e->second.empty()) {
        *value = e->second;
        *source = o.env;
        return true;
      }
    }
    return false;
  };

  std::string secret_file, secret_file_source, secret_text;
  std::string gateway_secret_file, gateway_secret_file_source;
  for (const Option& o : kOptions) {
    std::string value, source;
    if (!value_of(o, &value, &source)) continue;
    switch (o.kind) {
      case Option::number: {
        long long n;
        if (!parse_integer(value, o.min, o.max, &n))
          throw SettingsError(source + " must be an integer between " + std::to_string(o.min) + " and " +
                              std::to_string(o.max) + ", got '" + value + "'");
        o.apply(s, n, value);
        break;
      }
      case Option::text:
        o.apply(s, 0, value);
        break;
      case Option::secret_file:
        secret_file = value;
        secret_file_source = source;
        break;
      case Option::secret_text:
        secret_text = value;
        break;
      case Option::gateway_secret_file:
        gateway_secret_file = value;
        gateway_secret_file_source = source;
        break;
      case Option::help:
      case Option::print_openapi:
        break;
    }
  }

  if (print_openapi) {  // the document is the route table's: it needs no database and no secret
    s.print_openapi = true;
    return s;
  }
  if (s.listen_host.empty()) throw SettingsError("--host must not be empty");
  if (s.jwt_issuer.empty()) throw SettingsError("--jwt-issuer must not be empty");
  if (s.jwt_audience.empty()) throw SettingsError("--jwt-audience must not be empty");
  try {
    s.trusted_proxies = TrustedProxies::parse(s.trusted_proxies_text);
  } catch (const std::invalid_argument& e) {
    throw SettingsError(std::string("--trusted-proxies: ") + e.what());
  }
  if (s.database_url.empty())
    throw SettingsError("a database URL is required: --database-url or BOXOFFICE_DATABASE_URL "
                        "(libpq conninfo or URI)");

  std::string secret_source;
  if (!secret_file.empty()) {
    s.jwt_secret = read_secret_file(secret_file, secret_file_source);
    secret_source = "the file '" + secret_file + "'";
  } else if (!secret_text.empty()) {
    s.jwt_secret = secret_text;
    secret_source = "BOXOFFICE_JWT_SECRET";
  } else {
    throw SettingsError("a JWT secret is required: --jwt-secret-file or BOXOFFICE_JWT_SECRET_FILE naming a "
                        "file that holds it, or BOXOFFICE_JWT_SECRET (at least 32 bytes)");
  }
  if (!gateway_secret_file.empty()) s.gateway_secret_key = read_secret_file(gateway_secret_file, gateway_secret_file_source);
  if (!s.gateway_url.empty() && s.gateway_secret_key.empty())
    throw SettingsError("a gateway secret key is required with --gateway-url: --gateway-secret-key-file or "
                        "BOXOFFICE_GATEWAY_SECRET_KEY_FILE naming a file that holds it, or BOXOFFICE_GATEWAY_SECRET_KEY");
  if (!s.gateway_url.empty() && s.gateway_url.rfind("http://", 0) != 0 && s.gateway_url.rfind("https://", 0) != 0)
    throw SettingsError("--gateway-url must start with https:// or http://, got '" + s.gateway_url + "'");
  if (s.gateway_url.rfind("http://", 0) == 0) {
    // plain HTTP would send the secret key and card payment keys in the clear: only to this machine
    std::string host = url_host(s.gateway_url);
    if (host != "127.0.0.1" && host != "localhost" && host != "[::1]")
      throw SettingsError("--gateway-url: plain http:// is for a gateway on this machine (127.0.0.1, localhost, [::1]); "
                          "use https:// for '" + host + "'");
  }
  if (!s.gateway_ca_file.empty() && s.gateway_url.rfind("https://", 0) != 0)
    throw SettingsError("--gateway-ca-file is for an https:// --gateway-url");
  if (!s.gateway_ca_file.empty() && !std::ifstream(s.gateway_ca_file).good())
    throw SettingsError("--gateway-ca-file: cannot read " + s.gateway_ca_file);
  // Reports only the length: this message ends up in logs.
  if (s.jwt_secret.size() < 32)
    throw SettingsError("the JWT secret from " + secret_source + " is " + std::to_string(s.jwt_secret.size()) +
                        " bytes; it must be at least 32 bytes (e.g. openssl rand -base64 48)");
  return s;
}

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry = *e;
    size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return env;
}

std::string help_text() {
  const Settings defaults;
  struct Row {
    std::string flag, env, def, meaning;
  };
  std::vector<Row> rows;
  rows.push_back({"option", "variable", "default", "meaning"});
  size_t wf = 0, we = 0, wd = 0;
  for (const Option& o : kOptions) {
    std::string def = o.show_default(defaults);
    if (o.kind == Option::number) def += "  (" + std::to_string(o.min) + ".." + std::to_string(o.max) + ")";
    rows.push_back({o.flag ? o.flag : "-", o.env ? o.env : "-", def, o.meaning});
  }
  for (const Row& r : rows) {
    wf = std::max(wf, r.flag.size());
    we = std::max(we, r.env.size());
    wd = std::max(wd, r.def.size());
  }
  std::ostringstream out;
  out << "usage: boxoffice-http [--option value | --option=value]...\n"
      << "The REST API of boxoffice over PostgreSQL. A flag wins over its variable.\n\n";
  for (const Row& r : rows) {
    out << "  " << r.flag << std::string(wf - r.flag.size() + 2, ' ') << r.env
        << std::string(we - r.env.size() + 2, ' ') << r.def << std::string(wd - r.def.size() + 2, ' ')
        << r.meaning << "\n";
  }
  return out.str();
}

}  // namespace shim
