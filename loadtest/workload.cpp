#include "loadtest/workload.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace fg::loadtest {

namespace {

using nlohmann::json;

void read_range(const json& j, const char* key, unsigned& lo, unsigned& hi) {
    if (!j.contains(key)) return;
    const json& r = j.at(key);
    if (r.is_number_unsigned()) {
        lo = hi = r.get<unsigned>();
        return;
    }
    lo = r.at("min").get<unsigned>();
    hi = r.at("max").get<unsigned>();
}

void read_skus(const json& s, workload& w) {
    w.sku_count = s.value("count", w.sku_count);
    w.sku_id_prefix = s.value("id_prefix", w.sku_id_prefix);
    w.stock = s.value("stock", w.stock);
    w.sku_name = s.value("name", w.sku_name);
    if (s.contains("price")) {
        w.price_minor = s.at("price").at("amount_minor").get<std::int64_t>();
        w.currency = s.at("price").at("currency").get<std::string>();
    }
}

std::string check(const workload& w) {
    if (w.sku_count == 0) return "skus.count must be at least 1";
    if (w.stock < 0) return "skus.stock must not be negative";
    if (w.items_min < 1 || w.items_min > w.items_max || w.items_max > items_per_order_max) {
        return "items_per_order must satisfy 1 <= min <= max <= " +
               std::to_string(items_per_order_max);
    }
    if (w.items_max > w.sku_count) return "items_per_order.max exceeds skus.count";
    if (w.qty_min < 1 || w.qty_min > w.qty_max || w.qty_max > 10000) {
        return "qty must satisfy 1 <= min <= max <= 10000";
    }
    if (w.retry_fraction < 0 || w.retry_fraction >= 1) return "retry_fraction must be in [0, 1)";
    if (w.buyers == 0) return "buyers must be at least 1";
    if (w.zipf_s <= 0) return "zipf_s must be positive";
    return {};
}

sku_choice parse_choice(const std::string& s) {
    if (s == "hot") return sku_choice::hot;
    if (s == "uniform") return sku_choice::uniform;
    if (s == "zipf") return sku_choice::zipf;
    throw std::invalid_argument("sku_choice must be hot, uniform or zipf, not '" + s + "'");
}

}  // namespace

workload_result parse_workload(const std::string& json_text) {
    workload_result r;
    try {
        const json j = json::parse(json_text);
        workload& w = r.value;
        w.name = j.at("name").get<std::string>();
        w.description = j.value("description", "");
        read_skus(j.at("skus"), w);
        read_range(j, "items_per_order", w.items_min, w.items_max);
        read_range(j, "qty", w.qty_min, w.qty_max);
        w.choice = parse_choice(j.value("sku_choice", "hot"));
        w.zipf_s = j.value("zipf_s", w.zipf_s);
        w.retry_fraction = j.value("retry_fraction", w.retry_fraction);
        w.buyers = j.value("buyers", w.buyers);
        w.payment_method = j.value("payment_method", w.payment_method);
        r.error = check(w);
    } catch (const std::exception& e) {
        r.error = e.what();
    }
    return r;
}

workload_result load_workload(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) return {{}, "cannot open workload file " + path.string()};
    std::stringstream ss;
    ss << in.rdbuf();
    workload_result r = parse_workload(ss.str());
    if (!r.error.empty()) r.error = path.string() + ": " + r.error;
    return r;
}

workload_result find_workload(const std::string& name_or_path, const std::filesystem::path& dir) {
    const std::filesystem::path as_path(name_or_path);
    std::error_code ec;
    if (std::filesystem::is_regular_file(as_path, ec)) return load_workload(as_path);
    return load_workload(dir / (name_or_path + ".json"));
}

}  // namespace fg::loadtest
