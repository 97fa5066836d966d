// Settings of boxoffice-http, from flags and environment variables (a flag
// wins over its variable). `boxoffice-http --help` prints the table.
#pragma once

#include <map>
#include <stdexcept>
#include <string>

#include "client_address.hpp"

namespace shim {

struct Settings {
  std::string listen_host = "127.0.0.1";  // --host           BOXOFFICE_HTTP_HOST
  int port = 8080;                        // --port           BOXOFFICE_HTTP_PORT (0: any free port)
  int threads = 16;                       // --threads        BOXOFFICE_HTTP_THREADS
  std::string database_url;               // --database-url   BOXOFFICE_DATABASE_URL (libpq conninfo or URI; required)
  int pool_size = 8;                      // --pool-size      BOXOFFICE_POOL_SIZE
  int pool_wait_ms = 1000;                // --pool-wait-ms   BOXOFFICE_POOL_WAIT_MS: then 503 + Retry-After
  int statement_timeout_ms = 5000;        // --statement-timeout-ms BOXOFFICE_STATEMENT_TIMEOUT_MS
  std::string jwt_secret;                 // --jwt-secret-file BOXOFFICE_JWT_SECRET_FILE, or BOXOFFICE_JWT_SECRET (required, >= 32 bytes)
  std::string jwt_issuer = "boxoffice";   // --jwt-issuer     BOXOFFICE_JWT_ISSUER
  std::string jwt_audience = "boxoffice"; // --jwt-audience   BOXOFFICE_JWT_AUDIENCE
  int token_ttl_s = 3600;                 // --token-ttl      BOXOFFICE_TOKEN_TTL (seconds)
  size_t max_body_bytes = 65536;          // --max-body-bytes BOXOFFICE_MAX_BODY_BYTES: else 413
  int secret_attempts_per_minute = 20;    // --secret-attempts-per-minute BOXOFFICE_SECRET_ATTEMPTS_PER_MINUTE:
                                          //   per client address, at login and guest lookup; else 429
  int seat_map_max_age_ms = 250;          // --seat-map-max-age-ms BOXOFFICE_SEAT_MAP_MAX_AGE_MS: the seat
                                          //   map cache's bound (seat_map_cache.hpp)
  std::string trusted_proxies_text;       // --trusted-proxies BOXOFFICE_TRUSTED_PROXIES: addresses or CIDR blocks
  TrustedProxies trusted_proxies;         //   whose X-Forwarded-For names the client (parsed from the text)
  std::string port_file;                  // --port-file      BOXOFFICE_HTTP_PORT_FILE: write the bound port there
  std::string gateway_url;                // --gateway-url    BOXOFFICE_GATEWAY_URL: the card payment gateway
                                          //   (Toss Payments' API); empty: card payments answer 503
  std::string gateway_ca_file;            // --gateway-ca-file BOXOFFICE_GATEWAY_CA_FILE: the CAs of an https gateway
                                          //   (empty: the system's)
  std::string gateway_secret_key;         // --gateway-secret-key-file BOXOFFICE_GATEWAY_SECRET_KEY_FILE, or
                                          //   BOXOFFICE_GATEWAY_SECRET_KEY (required with a gateway)
  int gateway_timeout_ms = 10000;         // --gateway-timeout-ms BOXOFFICE_GATEWAY_TIMEOUT_MS: then the payment
                                          //   stays pending (202) for the reconciliation
  int reconcile_interval_ms = 0;          // --reconcile-interval-ms BOXOFFICE_RECONCILE_INTERVAL_MS: how often
                                          //   this process settles payments with the gateway (0: never)
  int reconcile_after_s = 30;             // --reconcile-after-s BOXOFFICE_RECONCILE_AFTER_S: a payment sent to the
                                          //   gateway without an outcome for this long is the reconciliation's
  bool help = false;                      // --help
  bool print_openapi = false;             // --print-openapi: print /openapi.json and exit (needs nothing else)
};

class SettingsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses argv (argv[0] is skipped) over the environment `env`. Both
// "--name value" and "--name=value" are accepted. Throws SettingsError with a
// message a person can act on for unknown flags, bad numbers, a missing
// database URL or a missing/short secret (unless --help or --print-openapi). The secret file is
// read here; its content is trimmed of a trailing newline.
Settings parse_settings(int argc, const char* const* argv, const std::map<std::string, std::string>& env);

// The environment of this process as a map.
std::map<std::string, std::string> process_environment();

// The --help text: every flag, its variable, its default.
std::string help_text();

}  // namespace shim
