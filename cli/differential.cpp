#include "differential.h"

#include <cstring>
#include <memory>
#include <unordered_map>

#include "job_positions.h"
#include "jobs_db.h"

namespace procsql::cli {

using jobs::exec;
using jobs::prepare;
using jobs::Statement;

namespace {

constexpr const char* kResults = "(results)";

void put_u64(std::string* out, uint64_t v) { out->append(reinterpret_cast<const char*>(&v), sizeof v); }

bool get_u64(const std::string& in, size_t* at, uint64_t* v) {
	if (in.size() - *at < sizeof *v) {
		return false;
	}
	std::memcpy(v, in.data() + *at, sizeof *v);
	*at += sizeof *v;
	return true;
}

bool get_bytes(const std::string& in, size_t* at, std::string* out) {
	uint64_t n = 0;
	if (!get_u64(in, at, &n) || in.size() - *at < n) {
		return false;
	}
	out->assign(in, *at, n);
	*at += n;
	return true;
}

} // namespace

std::string encode_row(const std::vector<std::string>& columns, const std::vector<Value>& values) {
	std::string out;
	put_u64(&out, columns.size());
	for (size_t i = 0; i < columns.size(); i++) {
		put_u64(&out, columns[i].size());
		out += columns[i];
		const Value& v = values[i];
		out += char(v.type);
		switch (v.type) {
		case Value::Type::null: break;
		case Value::Type::integer: put_u64(&out, uint64_t(v.integer)); break;
		case Value::Type::real: {
			uint64_t bits = 0;
			std::memcpy(&bits, &v.real, sizeof bits);
			put_u64(&out, bits);
			break;
		}
		case Value::Type::text:
		case Value::Type::blob:
			put_u64(&out, v.bytes.size());
			out += v.bytes;
			break;
		}
	}
	return out;
}

bool decode_row(const std::string& in, std::vector<std::string>* columns, std::vector<Value>* values) {
	columns->clear();
	values->clear();
	size_t at = 0;
	uint64_t n = 0;
	if (!get_u64(in, &at, &n) || n > in.size()) {
		return false;
	}
	for (uint64_t i = 0; i < n; i++) {
		std::string name;
		if (!get_bytes(in, &at, &name) || at >= in.size()) {
			return false;
		}
		Value v;
		const int type = static_cast<unsigned char>(in[at++]);
		if (type > int(Value::Type::blob)) {
			return false;
		}
		v.type = Value::Type(type);
		uint64_t word = 0;
		switch (v.type) {
		case Value::Type::null: break;
		case Value::Type::integer:
			if (!get_u64(in, &at, &word)) return false;
			v.integer = int64_t(word);
			break;
		case Value::Type::real:
			if (!get_u64(in, &at, &word)) return false;
			std::memcpy(&v.real, &word, sizeof word);
			break;
		case Value::Type::text:
		case Value::Type::blob:
			if (!get_bytes(in, &at, &v.bytes)) return false;
			break;
		}
		columns->push_back(std::move(name));
		values->push_back(std::move(v));
	}
	return at == in.size();
}

Diff diff_rows(const std::vector<std::string>& before, const std::vector<std::string>& now) {
	std::unordered_map<std::string, size_t> remaining;
	for (const auto& r : before) {
		remaining[r]++;
	}
	Diff d;
	for (const auto& r : now) {
		auto it = remaining.find(r);
		if (it != remaining.end() && it->second > 0) {
			it->second--;
		} else {
			d.added.push_back(r);
		}
	}
	for (const auto& r : before) {
		auto it = remaining.find(r);
		if (it != remaining.end() && it->second > 0) {
			it->second--;
			d.removed.push_back(r);
		}
	}
	return d;
}

bool DifferentialState::load(const std::string& job, std::vector<std::string>* rows, uint64_t* counter,
                             std::string* error) {
	rows->clear();
	jobs::JobPositions positions(db_);
	if (!positions.ensure_table(error) ||
	    !exec(db_, "CREATE TABLE IF NOT EXISTS main.procsql_job_rows (job TEXT NOT NULL, row BLOB NOT NULL)", error)) {
		return false;
	}
	jobs::Position pos;
	if (!positions.read(job, kResults, &pos, error)) {
		return false;
	}
	loaded_ = pos;
	began_ = jobs::utc_now_text();
	*counter = pos.eid;
	Statement stmt = prepare(db_, "SELECT row FROM main.procsql_job_rows WHERE job = ?1 ORDER BY rowid", error);
	if (!stmt) {
		return false;
	}
	sqlite3_bind_text64(stmt.get(), 1, job.data(), job.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
	int rc;
	while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
		const void* p = sqlite3_column_blob(stmt.get(), 0);
		rows->emplace_back(static_cast<const char*>(p), size_t(sqlite3_column_bytes(stmt.get(), 0)));
	}
	if (rc != SQLITE_DONE) {
		*error = jobs::db_error(db_);
		return false;
	}
	return true;
}

bool DifferentialState::commit(const std::string& job, const std::vector<std::string>& rows, std::string* error) {
	if (!exec(db_, "BEGIN IMMEDIATE", error)) {
		return false;
	}
	auto fail = [&](const std::string& why) {
		std::string ignored;
		exec(db_, "ROLLBACK", &ignored);
		*error = why;
		return false;
	};
	jobs::JobPositions positions(db_);
	bool lost_race = false;
	const jobs::Position& from = loaded_;
	const jobs::Position to{true, loaded_.store_id, loaded_.eid + 1};
	if (!positions.advance(job, kResults, from, to, jobs::CommitCounts{rows.size(), 0, false, began_}, &lost_race, error)) {
		return fail(lost_race ? "job '" + job +
		                            "': another run of this job committed first: this run commits nothing; its "
		                            "changes were output at least once"
		                      : *error);
	}
	Statement del = prepare(db_, "DELETE FROM main.procsql_job_rows WHERE job = ?1", error);
	if (!del) {
		return fail(*error);
	}
	sqlite3_bind_text64(del.get(), 1, job.data(), job.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
	if (sqlite3_step(del.get()) != SQLITE_DONE) {
		return fail(jobs::db_error(db_));
	}
	Statement ins = prepare(db_, "INSERT INTO main.procsql_job_rows (job, row) VALUES (?1, ?2)", error);
	if (!ins) {
		return fail(*error);
	}
	for (const auto& r : rows) {
		sqlite3_reset(ins.get());
		sqlite3_bind_text64(ins.get(), 1, job.data(), job.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
		sqlite3_bind_blob64(ins.get(), 2, r.data(), r.size(), SQLITE_STATIC);
		if (sqlite3_step(ins.get()) != SQLITE_DONE) {
			return fail(jobs::db_error(db_));
		}
	}
	if (!exec(db_, "COMMIT", error)) {
		return fail(*error);
	}
	return true;
}

} // namespace procsql::cli
