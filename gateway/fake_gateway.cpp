// The fake Toss Payments gateway: routes, state and the misbehaviours.
#include "fake_gateway.hpp"

#include <dirent.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <limits>
#include <stdexcept>
#include <utility>

namespace gateway {

namespace {

using nlohmann::json;

struct InvalidRequest : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string base64(const std::string& bytes) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned n = (unsigned char)bytes[i] << 16 | (unsigned char)bytes[i + 1] << 8 | (unsigned char)bytes[i + 2];
    out += {alphabet[n >> 18], alphabet[n >> 12 & 63], alphabet[n >> 6 & 63], alphabet[n & 63]};
  }
  if (i + 1 == bytes.size()) {
    unsigned n = (unsigned char)bytes[i] << 16;
    out += {alphabet[n >> 18], alphabet[n >> 12 & 63], '=', '='};
  } else if (i + 2 == bytes.size()) {
    unsigned n = (unsigned char)bytes[i] << 16 | (unsigned char)bytes[i + 1] << 8;
    out += {alphabet[n >> 18], alphabet[n >> 12 & 63], alphabet[n >> 6 & 63], '='};
  }
  return out;
}

std::string iso8601(std::chrono::system_clock::time_point at) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(at);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

json error_body(const std::string& code, const std::string& message) {
  return {{"code", code}, {"message", message}};
}

// --- Reading request bodies: every mistake is an InvalidRequest naming the field.

json parse_object(const std::string& body) {
  json parsed = json::parse(body, nullptr, false);
  if (!parsed.is_object()) throw InvalidRequest("the body must be a JSON object");
  return parsed;
}

std::optional<std::string> optional_string(const json& object, const char* name) {
  auto field = object.find(name);
  if (field == object.end() || field->is_null()) return std::nullopt;
  if (!field->is_string()) throw InvalidRequest(std::string(name) + " must be a string");
  return field->get<std::string>();
}

std::string required_string(const json& object, const char* name) {
  auto value = optional_string(object, name);
  if (!value || value->empty()) throw InvalidRequest(std::string(name) + " is required");
  return *value;
}

std::optional<std::int64_t> optional_amount(const json& object, const char* name) {
  auto field = object.find(name);
  if (field == object.end() || field->is_null()) return std::nullopt;
  bool fits = field->is_number_integer() &&
              !(field->is_number_unsigned() &&
                field->get<std::uint64_t>() > std::uint64_t(std::numeric_limits<std::int64_t>::max()));
  if (!fits || field->get<std::int64_t>() <= 0) throw InvalidRequest(std::string(name) + " must be a positive integer");
  return field->get<std::int64_t>();
}

std::int64_t required_amount(const json& object, const char* name) {
  auto value = optional_amount(object, name);
  if (!value) throw InvalidRequest(std::string(name) + " is required");
  return *value;
}

bool is_valid_order_id(const std::string& order_id) {
  if (order_id.size() < 6 || order_id.size() > 64) return false;
  for (char c : order_id) {
    bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!allowed) return false;
  }
  return true;
}

// So a retry that only reorders or re-spaces the JSON is the same request.
std::string canonical_body(const std::string& body) {
  json parsed = json::parse(body, nullptr, false);
  return parsed.is_discarded() ? body : parsed.dump();
}

// --- Losing an answer.

std::optional<std::pair<std::string, int>> address_of(int fd, bool peer) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  auto* raw = reinterpret_cast<sockaddr*>(&address);
  if ((peer ? getpeername(fd, raw, &length) : getsockname(fd, raw, &length)) != 0) return std::nullopt;
  if (address.ss_family != AF_INET && address.ss_family != AF_INET6) return std::nullopt;
  char host[NI_MAXHOST];
  char port[NI_MAXSERV];
  if (getnameinfo(raw, length, host, sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
    return std::nullopt;
  return std::make_pair(std::string(host), std::atoi(port));
}

// cpp-httplib 0.11.4 gives a handler no socket, and writes the status line and
// headers before any content provider runs, so a failing provider would still
// show the client a status. Instead the connection's socket is found by its
// two addresses (a TCP connection is the only socket with both) and shut down
// here, before anything is written: the client sees the connection end with no
// byte of an answer. The socket stays open: httplib's write of the answer then
// fails (EPIPE, SIGPIPE ignored) and it closes the connection as usual, so the
// descriptor is closed once, by the worker that owns it.
bool drop_connection(const httplib::Request& req) {
  DIR* fds = opendir("/proc/self/fd");
  if (!fds) return false;
  bool dropped = false;
  while (dirent* entry = readdir(fds)) {
    char* end = nullptr;
    long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == dirfd(fds)) continue;
    if (address_of(int(fd), false) == std::make_pair(req.local_addr, req.local_port) &&
        address_of(int(fd), true) == std::make_pair(req.remote_addr, req.remote_port)) {
      dropped = shutdown(int(fd), SHUT_RDWR) == 0;
      break;
    }
  }
  closedir(fds);
  return dropped;
}

// --- Names on the wire.

const char* status_name(PaymentStatus status) {
  switch (status) {
    case PaymentStatus::Ready: return "READY";
    case PaymentStatus::InProgress: return "IN_PROGRESS";
    case PaymentStatus::Done: return "DONE";
    case PaymentStatus::Canceled: return "CANCELED";
    case PaymentStatus::Aborted: return "ABORTED";
    case PaymentStatus::Expired: return "EXPIRED";
  }
  return "?";
}

const std::map<std::string, Behaviour> behaviours = {{"approve", Behaviour::Approve},
                                                     {"decline", Behaviour::Decline},
                                                     {"slow", Behaviour::Slow},
                                                     {"timeout", Behaviour::Timeout},
                                                     {"lose", Behaviour::Lose}};

const char* const methods[] = {"CARD", "KAKAO_PAY", "NAVER_PAY", "TOSS"};

}  // namespace

FakeGateway::FakeGateway(Options options)
    : options_(std::move(options)),
      expected_credentials_(base64(options_.secret_key + ":")),
      random_(std::random_device{}()) {
  // A lost answer is written into a socket already shut down: the signal that
  // write raises would kill the process hosting the fake.
  std::signal(SIGPIPE, SIG_IGN);
}

void FakeGateway::install(httplib::Server& server) {
  const int threads = options_.threads;
  // httplib's default pool is a handful of workers; a worker is busy for the
  // whole of a slow or hanging confirm, and those must not queue.
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_keep_alive_max_count(1000);

  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        const char* code = res.status == 404 ? "NOT_FOUND" : res.status >= 500 ? "FAILED_INTERNAL_SYSTEM_PROCESSING"
                                                                                : "INVALID_REQUEST";
        res.set_content(error_body(code, "HTTP " + std::to_string(res.status)).dump(), "application/json");
        return httplib::Server::HandlerResponse::Handled;
      }));
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr thrown) {
    std::string what = "unknown error";
    try {
      std::rethrow_exception(thrown);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    res.status = 500;
    res.set_content(error_body("FAILED_INTERNAL_SYSTEM_PROCESSING", what).dump(), "application/json");
  });

  auto respond = [](const httplib::Request& req, httplib::Response& res, const Answer& answer) {
    res.status = answer.status;
    res.set_content(answer.body.dump(), "application/json");
    if (answer.lost && !drop_connection(req))
      std::fprintf(stderr, "fake gateway: could not find the connection of a lost answer; it is answered\n");
  };
  // The merchant API: every call carries the secret key.
  auto api = [this, respond](std::function<Answer(const httplib::Request&)> handle) {
    return [this, respond, handle](const httplib::Request& req, httplib::Response& res) {
      if (!authorized(req)) {
        respond(req, res, {401, error_body("UNAUTHORIZED_KEY", "the secret key is missing or wrong")});
        return;
      }
      respond(req, res, handle(req));
    };
  };
  // The test's window into the fake: no key, as a test has none to leak.
  auto control = [respond](std::function<Answer(const httplib::Request&)> handle) {
    return [respond, handle](const httplib::Request& req, httplib::Response& res) { respond(req, res, handle(req)); };
  };

  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });

  server.Post("/v1/payments", api([this](const httplib::Request& req) {
                return idempotently(req, [&] { return create_payment(req.body); });
              }));
  server.Post("/v1/payments/confirm", api([this](const httplib::Request& req) {
                count_confirm_call(req.body);  // replays count too: they are calls the merchant made
                return idempotently(req, [&] { return confirm_payment(req.body); });
              }));
  server.Post(R"(/v1/payments/([^/]+)/cancel)", api([this](const httplib::Request& req) {
                return idempotently(req, [&] { return cancel_payment(req.matches[1], req.body); });
              }));
  server.Get(R"(/v1/payments/orders/([^/]+))",
             api([this](const httplib::Request& req) { return payment_by_order(req.matches[1]); }));
  server.Get(R"(/v1/payments/([^/]+))",
             api([this](const httplib::Request& req) { return payment_by_key(req.matches[1]); }));

  server.Get("/control/stats", control([this](const httplib::Request&) { return control_stats(); }));
  server.Get(R"(/control/payments/([^/]+))",
             control([this](const httplib::Request& req) { return control_payment(req.matches[1]); }));
}

int FakeGateway::bind(httplib::Server& server, const std::string& host, int port) {
  // httplib's own options, minus SO_REUSEPORT: two fakes must not share a port.
  auto reuse_address = [](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  };
  socket_t listening = INVALID_SOCKET;
  server.set_socket_options([&](socket_t sock) {
    reuse_address(sock);
    listening = sock;  // the last one tried is the one bound
  });
  int bound = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  server.set_socket_options(reuse_address);
  if (bound > 0 && listening != INVALID_SOCKET) ::listen(listening, SOMAXCONN);  // listening again sets the backlog
  return bound;
}

void FakeGateway::stop_waiting() {
  {
    std::lock_guard<std::mutex> lock(wait_mutex_);
    waiting_stopped_ = true;
  }
  wait_over_.notify_all();
}

void FakeGateway::wait(std::chrono::milliseconds how_long) {
  std::unique_lock<std::mutex> lock(wait_mutex_);
  wait_over_.wait_for(lock, how_long, [this] { return waiting_stopped_; });
}

bool FakeGateway::authorized(const httplib::Request& req) const {
  const std::string header = req.get_header_value("Authorization");
  const auto space = header.find(' ');
  if (space == std::string::npos) return false;
  std::string scheme = header.substr(0, space);
  for (char& c : scheme) c = char(std::tolower((unsigned char)c));
  return scheme == "basic" && header.substr(space + 1) == expected_credentials_;
}

// The first request with a key is done and its answer kept; the same request
// again gets that answer without effect, even when the first answer was lost.
FakeGateway::Answer FakeGateway::idempotently(const httplib::Request& req, const std::function<Answer()>& work) {
  const std::string key = req.get_header_value("Idempotency-Key");
  if (key.empty()) return work();
  if (key.size() > 300)
    return {400, error_body("INVALID_REQUEST", "Idempotency-Key must be at most 300 characters")};
  const std::string request = req.method + " " + req.path + " " + canonical_body(req.body);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto [stored, first] = idempotency_keys_.try_emplace(key);
    if (!first) {
      if (stored->second.request != request)
        return {422, error_body("IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key was used for another request")};
      if (!stored->second.finished)
        return {409, error_body("IDEMPOTENT_REQUEST_PROCESSING",
                                "the first request with this Idempotency-Key is still being processed")};
      return {stored->second.status, stored->second.body};
    }
    stored->second.request = request;
  }
  Answer answer;
  try {
    answer = work();
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    idempotency_keys_.erase(key);  // nothing to replay: let a retry do the work
    throw;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  IdempotentAnswer& stored = idempotency_keys_[key];
  stored.finished = true;
  stored.status = answer.status;
  stored.body = answer.body;
  return answer;
}

FakeGateway::Answer FakeGateway::create_payment(const std::string& body) {
  Payment payment;
  try {
    const json request = parse_object(body);
    payment.order_id = required_string(request, "orderId");
    if (!is_valid_order_id(payment.order_id))
      throw InvalidRequest("orderId must be 6 to 64 characters of A-Z, a-z, 0-9, _ and -");
    payment.total_amount = payment.balance_amount = required_amount(request, "amount");
    payment.method = optional_string(request, "method").value_or("CARD");
    if (std::find(std::begin(methods), std::end(methods), payment.method) == std::end(methods))
      throw InvalidRequest("method must be one of CARD, KAKAO_PAY, NAVER_PAY, TOSS");
    auto behaviour = behaviours.find(optional_string(request, "behaviour").value_or("approve"));
    if (behaviour == behaviours.end())
      throw InvalidRequest("behaviour must be one of approve, decline, slow, timeout, lose");
    payment.behaviour = behaviour->second;
    const std::string cancel_behaviour = optional_string(request, "cancel_behaviour").value_or("approve");
    if (cancel_behaviour != "approve" && cancel_behaviour != "lose" && cancel_behaviour != "timeout")
      throw InvalidRequest("cancel_behaviour must be one of approve, lose, timeout");
    payment.cancel_behaviour = behaviours.at(cancel_behaviour);
  } catch (const InvalidRequest& e) {
    return {400, error_body("INVALID_REQUEST", e.what())};
  }

  std::lock_guard<std::mutex> lock(mutex_);
  if (order_index_.count(payment.order_id))
    return {400, error_body("DUPLICATED_ORDER_ID", "a payment with this orderId already exists")};
  const std::string payment_key = new_payment_key();
  payment.payment_key = payment_key;
  payment.requested_at = options_.now();
  order_index_[payment.order_id] = payment_key;
  payments_[payment_key] = std::move(payment);
  return {200, payment_json(payments_[payment_key])};
}

void FakeGateway::count_confirm_call(const std::string& body) {
  json request = json::parse(body, nullptr, false);
  if (!request.is_object() || !request.contains("paymentKey") || !request["paymentKey"].is_string()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (Payment* payment = find_payment(request["paymentKey"].get<std::string>())) ++payment->confirm_calls;
}

FakeGateway::Answer FakeGateway::confirm_payment(const std::string& body) {
  std::string payment_key, order_id;
  std::int64_t amount = 0;
  try {
    const json request = parse_object(body);
    payment_key = required_string(request, "paymentKey");
    order_id = required_string(request, "orderId");
    amount = required_amount(request, "amount");
  } catch (const InvalidRequest& e) {
    return {400, error_body("INVALID_REQUEST", e.what())};
  }
  const Answer declined = {403, error_body("REJECT_CARD_PAYMENT", "the card issuer declined the payment")};

  std::chrono::milliseconds approval_takes{0};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Payment* payment = find_payment(payment_key);
    if (!payment) return {404, error_body("NOT_FOUND_PAYMENT", "no payment has this paymentKey")};
    expire_if_stale(*payment);
    if (payment->order_id != order_id)
      return {400, error_body("INVALID_REQUEST", "orderId is not the payment's orderId")};
    if (payment->total_amount != amount)
      return {400, error_body("INVALID_REQUEST", "amount is not the payment's amount (" +
                                                     std::to_string(payment->total_amount) + ")")};
    switch (payment->status) {
      case Status::Ready:
        break;
      case Status::InProgress:
        return {400, error_body("ALREADY_PROCESSED_PAYMENT",
                                "the payment is being approved (IN_PROGRESS): look it up for the outcome")};
      case Status::Done:
      case Status::Canceled:
        return {400, error_body("ALREADY_PROCESSED_PAYMENT", "the payment is already approved")};
      case Status::Aborted:
        return declined;
      case Status::Expired:
        return {400, error_body("NOT_FOUND_PAYMENT_SESSION",
                                "the payment session expired: it was not confirmed in time")};
    }
    switch (payment->behaviour) {
      case Behaviour::Approve:
        charge(*payment);
        return {200, payment_json(*payment)};
      case Behaviour::Lose:
        charge(*payment);
        return {200, payment_json(*payment), true};
      case Behaviour::Decline:
        payment->status = Status::Aborted;
        return declined;
      case Behaviour::Slow:
        approval_takes = options_.slow_delay;
        break;
      case Behaviour::Timeout:
        approval_takes = options_.hang;
        break;
    }
    // A second confirm meanwhile is refused, and a look-up shows the card
    // network still working.
    payment->status = Status::InProgress;
  }
  wait(approval_takes);
  std::lock_guard<std::mutex> lock(mutex_);
  Payment* payment = find_payment(payment_key);  // IN_PROGRESS is left only from here
  charge(*payment);
  return {200, payment_json(*payment)};
}

FakeGateway::Answer FakeGateway::cancel_payment(const std::string& payment_key, const std::string& body) {
  std::string reason;
  std::optional<std::int64_t> amount;
  try {
    const json request = parse_object(body);
    reason = required_string(request, "cancelReason");
    amount = optional_amount(request, "cancelAmount");
  } catch (const InvalidRequest& e) {
    return {400, error_body("INVALID_REQUEST", e.what())};
  }

  {
    std::lock_guard<std::mutex> lock(mutex_);
    Payment* payment = find_payment(payment_key);
    if (!payment) return {404, error_body("NOT_FOUND_PAYMENT", "no payment has this paymentKey")};
    expire_if_stale(*payment);
    if (auto refusal = refuse_cancel(*payment, amount)) return *refusal;
    if (payment->cancel_behaviour != Behaviour::Timeout) {
      refund(*payment, amount.value_or(payment->balance_amount), reason);
      return {200, payment_json(*payment), payment->cancel_behaviour == Behaviour::Lose};
    }
  }
  wait(options_.hang);
  // Checked again: another cancel may have taken the balance meanwhile.
  std::lock_guard<std::mutex> lock(mutex_);
  Payment* payment = find_payment(payment_key);
  if (auto refusal = refuse_cancel(*payment, amount)) return *refusal;
  refund(*payment, amount.value_or(payment->balance_amount), reason);
  return {200, payment_json(*payment)};
}

FakeGateway::Answer FakeGateway::payment_by_key(const std::string& payment_key) {
  std::lock_guard<std::mutex> lock(mutex_);
  Payment* payment = find_payment(payment_key);
  if (!payment) return {404, error_body("NOT_FOUND_PAYMENT", "no payment has this paymentKey")};
  expire_if_stale(*payment);
  return {200, payment_json(*payment)};
}

FakeGateway::Answer FakeGateway::payment_by_order(const std::string& order_id) {
  std::string payment_key;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto indexed = order_index_.find(order_id);
    if (indexed == order_index_.end())
      return {404, error_body("NOT_FOUND_PAYMENT", "no payment has this orderId")};
    payment_key = indexed->second;
  }
  return payment_by_key(payment_key);
}

FakeGateway::Answer FakeGateway::control_payment(const std::string& payment_key) {
  std::lock_guard<std::mutex> lock(mutex_);
  Payment* payment = find_payment(payment_key);
  if (!payment) return {404, error_body("NOT_FOUND_PAYMENT", "no payment has this paymentKey")};
  expire_if_stale(*payment);
  json body = payment_json(*payment);
  body["confirmCalls"] = payment->confirm_calls;
  body["chargeCount"] = payment->charge_count;
  return {200, body};
}

FakeGateway::Answer FakeGateway::control_stats() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::map<Status, int> by_status;
  long long confirm_calls = 0;
  std::int64_t charged_total = 0, refunded_total = 0;
  for (auto& [key, payment] : payments_) {
    expire_if_stale(payment);
    ++by_status[payment.status];
    confirm_calls += payment.confirm_calls;
    if (payment.charge_count > 0) charged_total += payment.total_amount;
    for (const Cancel& cancel : payment.cancels) refunded_total += cancel.amount;
  }
  return {200,
          {{"payments", payments_.size()},
           {"ready", by_status[Status::Ready]},
           {"in_progress", by_status[Status::InProgress]},
           {"done", by_status[Status::Done]},
           {"canceled", by_status[Status::Canceled]},
           {"aborted", by_status[Status::Aborted]},
           {"expired", by_status[Status::Expired]},
           {"confirm_calls", confirm_calls},
           {"charged_total", charged_total},
           {"refunded_total", refunded_total}}};
}

FakeGateway::Payment* FakeGateway::find_payment(const std::string& payment_key) {
  auto found = payments_.find(payment_key);
  return found == payments_.end() ? nullptr : &found->second;
}

// Lazily, when the payment is next touched: no timer thread to stop.
void FakeGateway::expire_if_stale(Payment& payment) {
  if (payment.status == Status::Ready && options_.now() - payment.requested_at >= options_.ready_ttl)
    payment.status = Status::Expired;
}

void FakeGateway::charge(Payment& payment) {
  payment.status = Status::Done;
  payment.approved_at = options_.now();
  ++payment.charge_count;
}

void FakeGateway::refund(Payment& payment, std::int64_t amount, const std::string& reason) {
  payment.balance_amount -= amount;
  payment.cancels.push_back({amount, reason, options_.now()});
  // Toss says PARTIAL_CANCELED for a partial refund; this fake keeps DONE.
  if (payment.balance_amount == 0) payment.status = Status::Canceled;
}

std::optional<FakeGateway::Answer> FakeGateway::refuse_cancel(const Payment& payment,
                                                              std::optional<std::int64_t> amount) const {
  if (payment.status == Status::Canceled)
    return Answer{400, error_body("ALREADY_CANCELED_PAYMENT", "the payment is already cancelled")};
  if (payment.status != Status::Done)
    return Answer{403, error_body("NOT_CANCELABLE_PAYMENT", std::string("only a DONE payment can be cancelled; it is ") +
                                                                status_name(payment.status))};
  if (amount && *amount > payment.balance_amount)
    return Answer{400, error_body("NOT_CANCELABLE_AMOUNT", "cancelAmount is more than the balance (" +
                                                               std::to_string(payment.balance_amount) + ")")};
  return std::nullopt;
}

json FakeGateway::payment_json(const Payment& payment) const {
  json cancels = nullptr;
  for (const Cancel& cancel : payment.cancels)
    cancels.push_back({{"cancelAmount", cancel.amount}, {"cancelReason", cancel.reason}, {"canceledAt", iso8601(cancel.at)}});
  return {{"paymentKey", payment.payment_key},
          {"orderId", payment.order_id},
          {"status", status_name(payment.status)},
          {"method", payment.method},
          {"totalAmount", payment.total_amount},
          {"balanceAmount", payment.balance_amount},
          {"requestedAt", iso8601(payment.requested_at)},
          {"approvedAt", payment.approved_at ? json(iso8601(*payment.approved_at)) : json(nullptr)},
          {"cancels", cancels}};
}

std::string FakeGateway::new_payment_key() {
  static const char alphanumerics[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::uniform_int_distribution<int> pick(0, sizeof alphanumerics - 2);
  std::string key;
  do {
    key = "tgen_";
    for (int i = 0; i < 20; ++i) key += alphanumerics[pick(random_)];
  } while (payments_.count(key));
  return key;
}

}  // namespace gateway
