/*
 * The SQLite store: opening the database durably (WAL, synchronous=FULL,
 * or NORMAL with the caller syncing the log: store_sync_defer),
 * versioned schema migrations, transactions with per-request savepoints, and
 * every query tierd makes. No SQL exists outside this file.
 */
#include "store_db.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Schema migrations, in order. migrations[i] takes the schema from version i to
 * i + 1; PRAGMA user_version records the version reached. Never edit a
 * migration that has shipped: add a new one.
 */
static const char *const store_migrations[] = {
	/* 1: users and their enrolment codes */
	"CREATE TABLE users ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  role INTEGER NOT NULL,"
	"  scope TEXT NOT NULL,"
	"  display_name TEXT NOT NULL DEFAULT '',"
	"  public_key BLOB UNIQUE CHECK (public_key IS NULL OR"
	"    length(public_key) = 32),"
	"  created_at INTEGER NOT NULL,"
	"  enrolled_at INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE TABLE enrol_codes ("
	"  hash BLOB PRIMARY KEY CHECK (length(hash) = 32),"
	"  user_id INTEGER NOT NULL REFERENCES users(id),"
	"  created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  used_at INTEGER,"                      /* NULL until redeemed */
	"  superseded INTEGER NOT NULL DEFAULT 0" /* 1 once a newer code exists
						   */
	");"
	"CREATE INDEX enrol_codes_user ON enrol_codes(user_id);",

	/*
	 * 2: the prioritisation workflow. Money is in whole currency units,
	 * scores are REAL rounded to hundredths by the server, times are Unix
	 * seconds, roles and states are the .proto enum numbers.
	 */
	"CREATE TABLE units ("
	"  id INTEGER PRIMARY KEY,"
	"  kind INTEGER NOT NULL CHECK (kind IN (1, 2, 3)),"
	"  name TEXT NOT NULL,"
	"  parent_id INTEGER REFERENCES units(id),"
	"  created_at INTEGER NOT NULL,"
	"  UNIQUE (kind, name)"
	");"
	"CREATE TABLE cycles ("
	"  id INTEGER PRIMARY KEY,"
	"  bu_id INTEGER NOT NULL REFERENCES units(id),"
	"  year INTEGER NOT NULL,"
	"  state INTEGER NOT NULL,"
	"  min_score REAL NOT NULL,"
	"  cut_strategic REAL NOT NULL,"
	"  cut_key REAL NOT NULL,"
	"  chain_general TEXT NOT NULL," /* roles, comma-separated numbers */
	"  chain_key TEXT NOT NULL,"
	"  chain_strategic TEXT NOT NULL,"
	"  step_limit_hours INTEGER NOT NULL,"
	"  criteria_version INTEGER NOT NULL DEFAULT 0,"
	"  derived_from INTEGER REFERENCES cycles(id),"
	"  derive_reason TEXT NOT NULL DEFAULT '',"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  updated_by INTEGER NOT NULL REFERENCES users(id),"
	"  updated_at INTEGER NOT NULL,"
	"  UNIQUE (bu_id, year)"
	");"
	"CREATE TABLE quotas ("
	"  cycle_id INTEGER NOT NULL REFERENCES cycles(id),"
	"  segment_id INTEGER NOT NULL REFERENCES units(id),"
	"  quota INTEGER NOT NULL,"
	"  PRIMARY KEY (cycle_id, segment_id)"
	") WITHOUT ROWID;"
	"CREATE TABLE criteria_sets ("
	"  id INTEGER PRIMARY KEY,"
	"  cycle_id INTEGER NOT NULL REFERENCES cycles(id),"
	"  version INTEGER NOT NULL,"
	"  reason TEXT NOT NULL DEFAULT '',"
	"  changes TEXT NOT NULL DEFAULT '',"
	"  frozen INTEGER NOT NULL DEFAULT 0,"
	"  created_by INTEGER NOT NULL REFERENCES users(id),"
	"  created_at INTEGER NOT NULL,"
	"  UNIQUE (cycle_id, version)"
	");"
	"CREATE TABLE criteria ("
	"  set_id INTEGER NOT NULL REFERENCES criteria_sets(id),"
	"  position INTEGER NOT NULL,"
	"  name TEXT NOT NULL,"
	"  description TEXT NOT NULL DEFAULT '',"
	"  scale_min INTEGER NOT NULL,"
	"  scale_max INTEGER NOT NULL,"
	"  weight INTEGER NOT NULL,"
	"  PRIMARY KEY (set_id, position),"
	"  UNIQUE (set_id, name)"
	");"
	"CREATE TABLE customers ("
	"  id INTEGER PRIMARY KEY,"
	"  bu_id INTEGER NOT NULL REFERENCES units(id),"
	"  name TEXT NOT NULL,"
	"  norm_name TEXT NOT NULL," /* NFKC + case fold, for duplicates */
	"  industry TEXT NOT NULL DEFAULT '',"
	"  region TEXT NOT NULL DEFAULT '',"
	"  size TEXT NOT NULL DEFAULT '',"
	"  contacts TEXT NOT NULL DEFAULT '',"
	"  credit_limit INTEGER NOT NULL DEFAULT 0,"
	"  payment_terms TEXT NOT NULL DEFAULT '',"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  updated_by INTEGER NOT NULL REFERENCES users(id),"
	"  updated_at INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  UNIQUE (bu_id, norm_name)"
	");"
	"CREATE TABLE revenue ("
	"  customer_id INTEGER NOT NULL REFERENCES customers(id),"
	"  year INTEGER NOT NULL,"
	"  amount INTEGER NOT NULL,"
	"  PRIMARY KEY (customer_id, year)"
	") WITHOUT ROWID;"
	"CREATE TABLE candidates ("
	"  id INTEGER PRIMARY KEY,"
	"  cycle_id INTEGER NOT NULL REFERENCES cycles(id),"
	"  segment_id INTEGER NOT NULL REFERENCES units(id),"
	"  customer_id INTEGER NOT NULL REFERENCES customers(id),"
	"  state INTEGER NOT NULL,"
	"  score REAL NOT NULL DEFAULT 0,"
	"  score_complete INTEGER NOT NULL DEFAULT 0,"
	"  needs_rescore INTEGER NOT NULL DEFAULT 0,"
	"  criteria_version INTEGER NOT NULL DEFAULT 0,"
	"  suggested_tier INTEGER NOT NULL DEFAULT 0,"
	"  tier INTEGER NOT NULL DEFAULT 0,"
	"  owner_id INTEGER REFERENCES users(id),"
	"  justification TEXT NOT NULL DEFAULT '',"
	"  chain TEXT NOT NULL DEFAULT ''," /* roles of this submission */
	"  step INTEGER NOT NULL DEFAULT 0,"
	"  round INTEGER NOT NULL DEFAULT 0," /* submissions so far */
	"  pending_since INTEGER NOT NULL DEFAULT 0,"
	"  proposed_by INTEGER NOT NULL REFERENCES users(id),"
	"  submitted_by INTEGER REFERENCES users(id),"
	"  reason TEXT NOT NULL DEFAULT '',"
	"  ever_scored INTEGER NOT NULL DEFAULT 0,"
	"  ever_submitted INTEGER NOT NULL DEFAULT 0,"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  updated_by INTEGER NOT NULL REFERENCES users(id),"
	"  updated_at INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  UNIQUE (cycle_id, customer_id)"
	");"
	"CREATE INDEX candidates_rank ON candidates(cycle_id, segment_id,"
	"  score DESC);"
	"CREATE INDEX candidates_state ON candidates(state, pending_since);"
	"CREATE TABLE scores ("
	"  candidate_id INTEGER NOT NULL REFERENCES candidates(id),"
	"  criteria_version INTEGER NOT NULL,"
	"  criterion TEXT NOT NULL,"
	"  value INTEGER NOT NULL,"
	"  scored_by INTEGER NOT NULL REFERENCES users(id),"
	"  scored_at INTEGER NOT NULL,"
	"  PRIMARY KEY (candidate_id, criteria_version, criterion)"
	") WITHOUT ROWID;"
	"CREATE TABLE approvals ("
	"  candidate_id INTEGER NOT NULL REFERENCES candidates(id),"
	"  round INTEGER NOT NULL,"
	"  step INTEGER NOT NULL,"
	"  user_id INTEGER NOT NULL REFERENCES users(id),"
	"  on_behalf_of INTEGER REFERENCES users(id),"
	"  decided_at INTEGER NOT NULL,"
	"  PRIMARY KEY (candidate_id, round, step)"
	") WITHOUT ROWID;"
	"CREATE TABLE delegations ("
	"  id INTEGER PRIMARY KEY,"
	"  approver_id INTEGER NOT NULL REFERENCES users(id),"
	"  deputy_id INTEGER NOT NULL REFERENCES users(id),"
	"  starts_at INTEGER NOT NULL,"
	"  ends_at INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL"
	");"
	"CREATE INDEX delegations_deputy ON delegations(deputy_id, ends_at);"
	/* Idempotency: the first response to each (user, request id). */
	"CREATE TABLE requests ("
	"  user_id INTEGER NOT NULL REFERENCES users(id),"
	"  request_id TEXT NOT NULL,"
	"  response BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  PRIMARY KEY (user_id, request_id)"
	") WITHOUT ROWID;"
	/* The hash-chained audit log; see audit.c for the hash. */
	"CREATE TABLE audit ("
	"  seq INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  user_name TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  entity TEXT NOT NULL,"
	"  entity_id INTEGER NOT NULL,"
	"  before TEXT NOT NULL,"
	"  after TEXT NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  hash BLOB NOT NULL"
	");"
	"CREATE INDEX audit_entity ON audit(entity, entity_id, seq);"
	/* The chain's head, written with every entry: a deleted tail shows. */
	"CREATE TABLE audit_head ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  seq INTEGER NOT NULL,"
	"  hash BLOB NOT NULL"
	");",

	/*
	 * 3: escalation of overdue approval steps. A candidate is escalated
	 * once per step of a submission: the column holds round * 16 + step
	 * of the last escalation (chains have at most STORE_CHAIN_MAX steps),
	 * -1 before any.
	 */
	("ALTER TABLE candidates ADD COLUMN escalated_step INTEGER NOT NULL "
	 "DEFAULT -1;"),

	/*
	 * 4: the rest of the archive card (profile, key people, transaction
	 * status), the grade and development owner a customer holds (set by
	 * hand or by the final approval of a candidate; owner_id 0 for none),
	 * and the planned revenue of each year.
	 */
	("ALTER TABLE customers ADD COLUMN profile TEXT NOT NULL DEFAULT '';"
	 "ALTER TABLE customers ADD COLUMN key_people TEXT NOT NULL "
	 "DEFAULT '';"
	 "ALTER TABLE customers ADD COLUMN transaction_status TEXT NOT NULL "
	 "DEFAULT '';"
	 "ALTER TABLE customers ADD COLUMN grade TEXT NOT NULL DEFAULT '';"
	 "ALTER TABLE customers ADD COLUMN owner_id INTEGER NOT NULL "
	 "DEFAULT 0;"
	 "ALTER TABLE revenue ADD COLUMN plan INTEGER NOT NULL DEFAULT 0;"),

	/*
	 * 5: the visit card and the complaint card of a customer, the visit
	 * limit of a cycle's policy (0 means 90 days), and which overdue
	 * period of a target was already announced: visit_alerts holds the
	 * last visit date ('' for none) the alert was raised for, so a new
	 * visit starts a new period.
	 */
	"CREATE TABLE visits ("
	"  id INTEGER PRIMARY KEY,"
	"  customer_id INTEGER NOT NULL REFERENCES customers(id),"
	"  visit_date TEXT NOT NULL," /* YYYY-MM-DD */
	"  visitor_id INTEGER NOT NULL REFERENCES users(id),"
	"  received_by TEXT NOT NULL,"
	"  content TEXT NOT NULL,"
	"  progress TEXT NOT NULL DEFAULT '',"
	"  next_visit TEXT NOT NULL DEFAULT ''," /* YYYY-MM-DD or '' */
	"  created_by INTEGER NOT NULL REFERENCES users(id),"
	"  created_at INTEGER NOT NULL"
	");"
	"CREATE INDEX visits_customer ON visits(customer_id, visit_date);"
	"CREATE INDEX visits_date ON visits(visit_date);"
	"CREATE TABLE complaints ("
	"  id INTEGER PRIMARY KEY,"
	"  customer_id INTEGER NOT NULL REFERENCES customers(id),"
	"  opened_on TEXT NOT NULL," /* YYYY-MM-DD */
	"  category INTEGER NOT NULL CHECK (category BETWEEN 1 AND 5),"
	"  description TEXT NOT NULL,"
	"  handling TEXT NOT NULL DEFAULT '',"
	"  resolution TEXT NOT NULL DEFAULT '',"
	"  state INTEGER NOT NULL CHECK (state IN (1, 2)),"
	"  opened_by INTEGER NOT NULL REFERENCES users(id),"
	"  created_at INTEGER NOT NULL,"
	"  resolved_by INTEGER REFERENCES users(id),"
	"  resolved_at INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX complaints_customer ON complaints(customer_id, state);"
	"CREATE INDEX complaints_opened ON complaints(opened_on);"
	"CREATE TABLE visit_alerts ("
	"  customer_id INTEGER PRIMARY KEY REFERENCES customers(id),"
	"  last_visit TEXT NOT NULL,"
	"  raised_at INTEGER NOT NULL"
	");"
	"ALTER TABLE cycles ADD COLUMN visit_limit_days INTEGER NOT NULL "
	"DEFAULT 0;",

	/*
	 * 6: inquiries. One row per inbound inquiry of a BU; the marketing
	 * head's decision (outcome 1 open, 2 promoted, 3 served, 4 declined)
	 * is written into it once. A promoted inquiry names its candidate:
	 * the link a candidate is shown with ("from inquiry N").
	 */
	"CREATE TABLE inquiries ("
	"  id INTEGER PRIMARY KEY,"
	"  bu_id INTEGER NOT NULL REFERENCES units(id),"
	"  segment_id INTEGER REFERENCES units(id),"
	"  channel INTEGER NOT NULL,"
	"  received_on TEXT NOT NULL," /* YYYY-MM-DD */
	"  caller TEXT NOT NULL,"
	"  company TEXT NOT NULL,"
	"  request TEXT NOT NULL,"
	"  handling TEXT NOT NULL DEFAULT '',"
	"  outcome INTEGER NOT NULL DEFAULT 1,"
	"  note TEXT NOT NULL DEFAULT '',"
	"  customer_id INTEGER REFERENCES customers(id),"
	"  candidate_id INTEGER REFERENCES candidates(id),"
	"  cycle_id INTEGER REFERENCES cycles(id),"
	"  logged_by INTEGER NOT NULL REFERENCES users(id),"
	"  created_at INTEGER NOT NULL,"
	"  decided_by INTEGER REFERENCES users(id),"
	"  decided_at INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX inquiries_bu ON inquiries(bu_id, received_on);"
	"CREATE UNIQUE INDEX inquiries_candidate ON inquiries(candidate_id)"
	"  WHERE candidate_id IS NOT NULL;"
	"CREATE INDEX inquiries_cycle ON inquiries(cycle_id)"
	"  WHERE cycle_id IS NOT NULL;",

	/*
	 * 7: ranks by counting. How many ranked candidates (completely
	 * scored, not rejected (5) or withdrawn (6)) each segment of a cycle
	 * has at each score, kept by triggers in the same transaction as the
	 * change: a rank is one plus the candidates above, summed over the
	 * distinct scores above instead of counted over the candidates
	 * (store_candidate.c). Likewise how many candidates each segment of
	 * a cycle has in each state, the total of a list. And the order of a
	 * candidate list, so that a page is read in order rather than sorted
	 * out of the whole cycle.
	 */
	"CREATE TABLE candidate_rank_counts ("
	"  cycle_id INTEGER NOT NULL,"
	"  score REAL NOT NULL,"
	"  segment_id INTEGER NOT NULL,"
	"  n INTEGER NOT NULL,"
	"  PRIMARY KEY (cycle_id, score, segment_id)"
	") WITHOUT ROWID;"
	"INSERT INTO candidate_rank_counts SELECT cycle_id, score, segment_id,"
	"  count(*) FROM candidates"
	"  WHERE score_complete AND state NOT IN (5, 6)"
	"  GROUP BY cycle_id, score, segment_id;"
	"CREATE TRIGGER candidates_rank_insert AFTER INSERT ON candidates"
	"  WHEN NEW.score_complete AND NEW.state NOT IN (5, 6) BEGIN"
	"  INSERT INTO candidate_rank_counts VALUES (NEW.cycle_id, NEW.score,"
	"  NEW.segment_id, 1) ON CONFLICT DO UPDATE SET n = n + 1; END;"
	"CREATE TRIGGER candidates_rank_delete AFTER DELETE ON candidates"
	"  WHEN OLD.score_complete AND OLD.state NOT IN (5, 6) BEGIN"
	"  UPDATE candidate_rank_counts SET n = n - 1 WHERE cycle_id ="
	"  OLD.cycle_id AND score = OLD.score AND segment_id = OLD.segment_id;"
	"  END;"
	"CREATE TRIGGER candidates_rank_leave AFTER UPDATE OF cycle_id,"
	"  segment_id, score, score_complete, state ON candidates"
	"  WHEN OLD.score_complete AND OLD.state NOT IN (5, 6) BEGIN"
	"  UPDATE candidate_rank_counts SET n = n - 1 WHERE cycle_id ="
	"  OLD.cycle_id AND score = OLD.score AND segment_id = OLD.segment_id;"
	"  END;"
	"CREATE TRIGGER candidates_rank_enter AFTER UPDATE OF cycle_id,"
	"  segment_id, score, score_complete, state ON candidates"
	"  WHEN NEW.score_complete AND NEW.state NOT IN (5, 6) BEGIN"
	"  INSERT INTO candidate_rank_counts VALUES (NEW.cycle_id, NEW.score,"
	"  NEW.segment_id, 1) ON CONFLICT DO UPDATE SET n = n + 1; END;"
	"CREATE TABLE candidate_counts ("
	"  cycle_id INTEGER NOT NULL,"
	"  segment_id INTEGER NOT NULL,"
	"  state INTEGER NOT NULL,"
	"  n INTEGER NOT NULL,"
	"  PRIMARY KEY (cycle_id, segment_id, state)"
	") WITHOUT ROWID;"
	"INSERT INTO candidate_counts SELECT cycle_id, segment_id, state,"
	"  count(*) FROM candidates GROUP BY cycle_id, segment_id, state;"
	"CREATE TRIGGER candidates_count_insert AFTER INSERT ON candidates"
	"  BEGIN INSERT INTO candidate_counts VALUES (NEW.cycle_id,"
	"  NEW.segment_id, NEW.state, 1) ON CONFLICT DO UPDATE SET n = n + 1;"
	"  END;"
	"CREATE TRIGGER candidates_count_delete AFTER DELETE ON candidates"
	"  BEGIN UPDATE candidate_counts SET n = n - 1 WHERE cycle_id ="
	"  OLD.cycle_id AND segment_id = OLD.segment_id AND state = OLD.state;"
	"  END;"
	"CREATE TRIGGER candidates_count_update AFTER UPDATE OF cycle_id,"
	"  segment_id, state ON candidates BEGIN"
	"  UPDATE candidate_counts SET n = n - 1 WHERE cycle_id ="
	"  OLD.cycle_id AND segment_id = OLD.segment_id AND state = OLD.state;"
	"  INSERT INTO candidate_counts VALUES (NEW.cycle_id, NEW.segment_id,"
	"  NEW.state, 1) ON CONFLICT DO UPDATE SET n = n + 1; END;"
	"CREATE INDEX candidates_list ON candidates(cycle_id,"
	"  score_complete DESC, (CASE WHEN score_complete THEN score END) DESC,"
	"  id, segment_id, state);",

	/*
	 * 8: cheaper writes and ranks. Rank counts are kept per segment and
	 * per cycle (segment 0), so that a rank sums the distinct scores
	 * above in its own segment or cycle rather than in every segment;
	 * the triggers fire only when a candidate really moves. The index on
	 * scores per segment (unused since 7, but rewritten by every score)
	 * gives way to one on state per segment, for the funnel and quotas.
	 * Idempotency records are appended in rowid order, with the response
	 * out of the (user, request id) index.
	 */
	"DROP TRIGGER candidates_rank_insert;"
	"DROP TRIGGER candidates_rank_delete;"
	"DROP TRIGGER candidates_rank_leave;"
	"DROP TRIGGER candidates_rank_enter;"
	"DROP TRIGGER candidates_count_update;"
	"DROP TABLE candidate_rank_counts;"
	"DROP INDEX candidates_rank;"
	"CREATE INDEX candidates_segment ON candidates(cycle_id, segment_id,"
	"  state);"
	"CREATE TABLE candidate_ranks ("
	"  cycle_id INTEGER NOT NULL,"
	"  segment_id INTEGER NOT NULL," /* 0: the whole cycle */
	"  score REAL NOT NULL,"
	"  n INTEGER NOT NULL,"
	"  PRIMARY KEY (cycle_id, segment_id, score)"
	") WITHOUT ROWID;"
	"INSERT INTO candidate_ranks SELECT cycle_id, segment_id, score,"
	"  count(*) FROM candidates WHERE score_complete AND state NOT IN (5, "
	"6)"
	"  GROUP BY cycle_id, segment_id, score;"
	"INSERT INTO candidate_ranks SELECT cycle_id, 0, score, count(*)"
	"  FROM candidates WHERE score_complete AND state NOT IN (5, 6)"
	"  GROUP BY cycle_id, score;"
	"CREATE TRIGGER candidates_rank_insert AFTER INSERT ON candidates"
	"  WHEN NEW.score_complete AND NEW.state NOT IN (5, 6) BEGIN"
	"  INSERT INTO candidate_ranks VALUES (NEW.cycle_id, NEW.segment_id,"
	"  NEW.score, 1), (NEW.cycle_id, 0, NEW.score, 1)"
	"  ON CONFLICT DO UPDATE SET n = n + 1; END;"
	"CREATE TRIGGER candidates_rank_delete AFTER DELETE ON candidates"
	"  WHEN OLD.score_complete AND OLD.state NOT IN (5, 6) BEGIN"
	"  UPDATE candidate_ranks SET n = n - 1 WHERE cycle_id = OLD.cycle_id"
	"  AND segment_id IN (OLD.segment_id, 0) AND score = OLD.score; END;"
	"CREATE TRIGGER candidates_rank_leave AFTER UPDATE OF cycle_id,"
	"  segment_id, score, score_complete, state ON candidates"
	"  WHEN OLD.score_complete AND OLD.state NOT IN (5, 6) AND NOT"
	"  (NEW.score_complete AND NEW.state NOT IN (5, 6) AND"
	"  NEW.cycle_id = OLD.cycle_id AND NEW.segment_id = OLD.segment_id AND"
	"  NEW.score = OLD.score) BEGIN"
	"  UPDATE candidate_ranks SET n = n - 1 WHERE cycle_id = OLD.cycle_id"
	"  AND segment_id IN (OLD.segment_id, 0) AND score = OLD.score; END;"
	"CREATE TRIGGER candidates_rank_enter AFTER UPDATE OF cycle_id,"
	"  segment_id, score, score_complete, state ON candidates"
	"  WHEN NEW.score_complete AND NEW.state NOT IN (5, 6) AND NOT"
	"  (OLD.score_complete AND OLD.state NOT IN (5, 6) AND"
	"  NEW.cycle_id = OLD.cycle_id AND NEW.segment_id = OLD.segment_id AND"
	"  NEW.score = OLD.score) BEGIN"
	"  INSERT INTO candidate_ranks VALUES (NEW.cycle_id, NEW.segment_id,"
	"  NEW.score, 1), (NEW.cycle_id, 0, NEW.score, 1)"
	"  ON CONFLICT DO UPDATE SET n = n + 1; END;"
	"CREATE TRIGGER candidates_count_update AFTER UPDATE OF cycle_id,"
	"  segment_id, state ON candidates WHEN NEW.cycle_id <> OLD.cycle_id"
	"  OR NEW.segment_id <> OLD.segment_id OR NEW.state <> OLD.state BEGIN"
	"  UPDATE candidate_counts SET n = n - 1 WHERE cycle_id ="
	"  OLD.cycle_id AND segment_id = OLD.segment_id AND state = OLD.state;"
	"  INSERT INTO candidate_counts VALUES (NEW.cycle_id, NEW.segment_id,"
	"  NEW.state, 1) ON CONFLICT DO UPDATE SET n = n + 1; END;"
	"CREATE TABLE requests_log ("
	"  id INTEGER PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id),"
	"  request_id TEXT NOT NULL,"
	"  response BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  UNIQUE (user_id, request_id)"
	");"
	"INSERT INTO requests_log (user_id, request_id, response, created_at)"
	"  SELECT user_id, request_id, response, created_at FROM requests"
	"  ORDER BY created_at;"
	"DROP TABLE requests;"
	"ALTER TABLE requests_log RENAME TO requests;",

	/*
	 * 9: ranks in bounded time. Scores run from 0 to 100 in hundredths,
	 * so a cycle may hold thousands of distinct scores, and a rank summed
	 * them all. The same counts per whole-point band (0-100) make a rank
	 * the bands above plus the scores above within its own band: at most
	 * about 200 rows, whatever the data.
	 */
	"CREATE TABLE candidate_rank_bands ("
	"  cycle_id INTEGER NOT NULL,"
	"  segment_id INTEGER NOT NULL," /* 0: the whole cycle */
	"  band INTEGER NOT NULL,"       /* CAST(score AS INTEGER) */
	"  n INTEGER NOT NULL,"
	"  PRIMARY KEY (cycle_id, segment_id, band)"
	") WITHOUT ROWID;"
	"INSERT INTO candidate_rank_bands SELECT cycle_id, segment_id,"
	"  CAST(score AS INTEGER), sum(n) FROM candidate_ranks"
	"  GROUP BY cycle_id, segment_id, CAST(score AS INTEGER);"
	"CREATE TRIGGER candidate_ranks_band_insert AFTER INSERT ON"
	"  candidate_ranks BEGIN INSERT INTO candidate_rank_bands VALUES"
	"  (NEW.cycle_id, NEW.segment_id, CAST(NEW.score AS INTEGER), NEW.n)"
	"  ON CONFLICT DO UPDATE SET n = n + excluded.n; END;"
	"CREATE TRIGGER candidate_ranks_band_update AFTER UPDATE OF n ON"
	"  candidate_ranks BEGIN UPDATE candidate_rank_bands SET n = n +"
	"  NEW.n - OLD.n WHERE cycle_id = NEW.cycle_id AND segment_id ="
	"  NEW.segment_id AND band = CAST(NEW.score AS INTEGER); END;"
	"CREATE TRIGGER candidate_ranks_band_delete AFTER DELETE ON"
	"  candidate_ranks BEGIN UPDATE candidate_rank_bands SET n = n - OLD.n"
	"  WHERE cycle_id = OLD.cycle_id AND segment_id = OLD.segment_id AND"
	"  band = CAST(OLD.score AS INTEGER); END;",

	/*
	 * 10: ranks move to memory (store_rank.c), read from the candidates
	 * once per cycle and kept in step by tierd, its only writer; the
	 * counts and the triggers that kept them go.
	 */
	"DROP TRIGGER candidates_rank_insert;"
	"DROP TRIGGER candidates_rank_delete;"
	"DROP TRIGGER candidates_rank_leave;"
	"DROP TRIGGER candidates_rank_enter;"
	"DROP TRIGGER candidate_ranks_band_insert;"
	"DROP TRIGGER candidate_ranks_band_update;"
	"DROP TRIGGER candidate_ranks_band_delete;"
	"DROP TABLE candidate_rank_bands;"
	"DROP TABLE candidate_ranks;",

	/*
	 * 11: a customer's rows by customer. The UNIQUE (cycle_id,
	 * customer_id) index cannot find its candidates without the cycle,
	 * so the checks of a customer change (a pending approval locks the
	 * card, a candidate keeps it in its BU) read every candidate of every
	 * cycle. Its complaints are read, on every customer_get, in the order
	 * of their opening day, which the index now holds (it held the state,
	 * and every read sorted).
	 */
	"CREATE INDEX candidates_customer ON candidates(customer_id);"
	"DROP INDEX complaints_customer;"
	"CREATE INDEX complaints_customer ON complaints(customer_id, "
	"  opened_on);",

	/*
	 * 12: request ids expire (server.request_id_ttl), oldest first. Ids
	 * are stored as time goes, so the index grows at its end.
	 */
	"CREATE INDEX requests_created ON requests(created_at);",
};

#define STORE_SCHEMA_VERSION                                                   \
	((int)(sizeof(store_migrations) / sizeof(store_migrations[0])))

/* Every statement tierd runs, prepared once at open. */
enum store_stmt {
	STMT_BEGIN,
	STMT_SNAPSHOT,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_SAVEPOINT,
	STMT_RELEASE,
	STMT_ROLLBACK_TO,
	STMT_USER_BY_KEY,
	STMT_USER_BY_NAME,
	STMT_USER_BY_ID,
	STMT_USER_INSERT,
	STMT_USER_LIST,
	STMT_USER_BIND_KEY,
	STMT_CODE_SUPERSEDE,
	STMT_CODE_INSERT,
	STMT_CODE_FIND,
	STMT_CODE_USE,
	STMT__COUNT,
};

#define STORE_USER_COLUMNS                                                     \
	"id, name, role, scope, display_name, public_key, created_at, "        \
	"enrolled_at"

static const char *const store_stmt_sql[STMT__COUNT] = {
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_SNAPSHOT] = "BEGIN DEFERRED",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_SAVEPOINT] = "SAVEPOINT request",
	[STMT_RELEASE] = "RELEASE request",
	[STMT_ROLLBACK_TO] = "ROLLBACK TO request",
	[STMT_USER_BY_KEY] =
	    "SELECT " STORE_USER_COLUMNS " FROM users WHERE public_key = ?1",
	[STMT_USER_BY_NAME] =
	    "SELECT " STORE_USER_COLUMNS " FROM users WHERE name = ?1",
	[STMT_USER_BY_ID] =
	    "SELECT " STORE_USER_COLUMNS " FROM users WHERE id = ?1",
	[STMT_USER_INSERT] = "INSERT INTO users (name, role, scope, "
			     "display_name, created_at) "
			     "VALUES (?1, ?2, ?3, ?4, ?5)",
	[STMT_USER_LIST] = "SELECT " STORE_USER_COLUMNS
			   " FROM users WHERE name > ?1 ORDER BY name LIMIT ?2",
	[STMT_USER_BIND_KEY] = "UPDATE users SET public_key = ?2, "
			       "enrolled_at = ?3 WHERE id = ?1",
	[STMT_CODE_SUPERSEDE] = "UPDATE enrol_codes SET superseded = 1 "
				"WHERE user_id = ?1 AND used_at IS NULL",
	[STMT_CODE_INSERT] = "INSERT INTO enrol_codes (hash, user_id, "
			     "created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
	[STMT_CODE_FIND] = "SELECT user_id, expires_at, used_at, superseded "
			   "FROM enrol_codes WHERE hash = ?1",
	[STMT_CODE_USE] = "UPDATE enrol_codes SET used_at = ?2 "
			  "WHERE hash = ?1 AND used_at IS NULL",
};

/* One statement of the cache behind store_sql. */
struct store_cached {
	const char *sql;    /* the key: a static string's address */
	sqlite3_stmt *stmt; /* prepared once, persistent */
};

struct store {
	sqlite3 *db;                     /* the connection; tierd has one */
	sqlite3_stmt *stmt[STMT__COUNT]; /* prepared at open */
	int schema_version;              /* after migration */
	int snapshot;                    /* a read snapshot is open */
	struct store_units units;        /* store_org.c's cache */
	struct store_ranks ranks;        /* store_rank.c's trees */
	struct store_cached *cache;      /* open addressing, power of two */
	size_t cache_len, cache_used;    /* slots, and slots in use */
	struct store_wal *wal;           /* background checkpoints, or NULL */
};

/* Resets a statement for reuse after the caller is done with its rows. */
static sqlite3_stmt *
store_stmt(struct store *st, enum store_stmt which)
{
	sqlite3_stmt *s = st->stmt[which];

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

/* Runs a statement that returns no rows. Returns 0 or ERR_STORE. */
static int
store_exec_stmt(struct store *st, enum store_stmt which)
{
	sqlite3_stmt *s = store_stmt(st, which);
	int rc;

	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_error("store: %s: %s", store_stmt_sql[which],
		    sqlite3_errmsg(st->db));
		return ERR_STORE;
	}
	return 0;
}

static int
store_exec(struct store *st, const char *sql, char *why, size_t why_len)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(why, why_len, "%s", msg ? msg : "unknown error");
		sqlite3_free(msg);
		return ERR_STORE;
	}
	return 0;
}

/* Brings the schema from PRAGMA user_version to STORE_SCHEMA_VERSION, one
 * migration per transaction. */
static int
store_migrate(struct store *st, char *why, size_t why_len)
{
	sqlite3_stmt *s = NULL;
	char sql[64];
	int version, r;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) !=
		SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		snprintf(why, why_len, "cannot read schema version: %s",
		    sqlite3_errmsg(st->db));
		sqlite3_finalize(s);
		return ERR_STORE;
	}
	version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);

	if (version > STORE_SCHEMA_VERSION) {
		snprintf(why, why_len,
		    "database schema version %d is newer than this tierd "
		    "understands (%d); run a newer tierd",
		    version, STORE_SCHEMA_VERSION);
		return ERR_STORE;
	}
	for (; version < STORE_SCHEMA_VERSION; version++) {
		if ((r = store_exec(st, "BEGIN IMMEDIATE", why, why_len)) != 0)
			return r;
		snprintf(
		    sql, sizeof(sql), "PRAGMA user_version = %d", version + 1);
		if (store_exec(st, store_migrations[version], why, why_len) !=
			0 ||
		    store_exec(st, sql, why, why_len) != 0 ||
		    store_exec(st, "COMMIT", why, why_len) != 0) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return ERR_STORE;
		}
		log_info("store: schema migrated to version %d", version + 1);
	}
	st->schema_version = version;
	return 0;
}

int
store_open(struct store **out, const char *path, char *why, size_t why_len)
{
	struct store *st;
	int i, r = ERR_STORE;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return ERR_ALLOC;
	/*
	 * No memory statistics: they cost a global mutex on every allocation
	 * of the engine. Only possible before its first use (else refused,
	 * which changes nothing).
	 */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if (sqlite3_open_v2(path, &st->db,
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		    SQLITE_OPEN_NOMUTEX,
		store_vfs()) != SQLITE_OK) {
		snprintf(why, why_len, "cannot open %s: %s", path,
		    st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto out;
	}
	sqlite3_extended_result_codes(st->db, 1);
	/* --init-admin may run beside a live tierd: wait for its commits. */
	sqlite3_busy_timeout(st->db, 5000);
	/*
	 * WAL with synchronous=FULL: a COMMIT returns only after the WAL is
	 * fsynced, so an acknowledged write survives kill -9 and power loss.
	 * The page cache (64 MiB, tierd's one connection) holds a whole
	 * group-commit batch: a smaller one spills dirty pages to the WAL in
	 * the middle of the batch. Checkpoints every STORE_WAL_LIMIT pages
	 * copy a page changed by many batches once. Each request's
	 * savepoint keeps the pages it changes in a statement journal: in
	 * memory, not in a temporary file written with every request.
	 */
	if ((r = store_exec(st,
		 "PRAGMA journal_mode = WAL;"
		 "PRAGMA synchronous = FULL;"
		 "PRAGMA foreign_keys = ON;"
		 "PRAGMA trusted_schema = OFF;"
		 "PRAGMA cache_size = -65536;"
		 "PRAGMA temp_store = MEMORY;",
		 why, why_len)) != 0)
		goto out;
	sqlite3_wal_autocheckpoint(st->db, STORE_WAL_LIMIT);
	if ((r = store_migrate(st, why, why_len)) != 0)
		goto out;
	for (i = 0; i < STMT__COUNT; i++) {
		if (sqlite3_prepare_v3(st->db, store_stmt_sql[i], -1,
			SQLITE_PREPARE_PERSISTENT, &st->stmt[i],
			NULL) != SQLITE_OK) {
			snprintf(why, why_len, "cannot prepare \"%s\": %s",
			    store_stmt_sql[i], sqlite3_errmsg(st->db));
			r = ERR_STORE;
			goto out;
		}
	}
	*out = st;
	st = NULL;
	r = 0;
out:
	store_close(st);
	return r;
}

void
store_close(struct store *st)
{
	int i;

	if (st == NULL)
		return;
	store_wal_stop(st->db, st->wal);
	for (i = 0; i < STMT__COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	for (size_t k = 0; k < st->cache_len; k++)
		sqlite3_finalize(st->cache[k].stmt);
	free(st->cache);
	free(st->units.v);
	store_rank_free(&st->ranks);
	sqlite3_close(st->db);
	free(st);
}

int
store_schema_version(const struct store *st)
{
	return st->schema_version;
}

const char *
store_engine(void)
{
	static char name[32];

	snprintf(name, sizeof(name), "sqlite %s", sqlite3_libversion());
	return name;
}

/*
 * With synchronous=NORMAL in WAL mode SQLite still syncs the log before each
 * checkpoint and the database after it, so a checkpoint, and the log
 * restarting from its start after one, never outruns a sync: only the
 * acknowledgement of a COMMIT waits for the caller's fdatasync.
 */
int
store_sync_defer(struct store *st, char *why, size_t why_len)
{
	const char *db = sqlite3_db_filename(st->db, "main");
	const char *wal = db != NULL ? sqlite3_filename_wal(db) : NULL;
	int fd;

	if (wal == NULL || *wal == '\0') {
		snprintf(why, why_len, "the database has no write-ahead log");
		return -1;
	}
	/* SQLite creates the log when it first reads the database in WAL
	 * mode, which store_open has done: opening it here cannot race. */
	if ((fd = open(wal, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(
		    why, why_len, "cannot open %s: %s", wal, strerror(errno));
		return -1;
	}
	if (store_exec(st, "PRAGMA synchronous = NORMAL;", why, why_len) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
store_checkpoint_background(struct store *st, char *why, size_t why_len)
{
	if (st->wal != NULL)
		return 0;
	return store_wal_start(st->db, &st->wal, why, why_len);
}

void
store_checkpoint_counts(
    struct store *st, uint64_t *background, uint64_t *inline_)
{
	store_wal_counts(st->wal, background, inline_);
}

void
store_log_writes(struct store *st, struct store_vfs_counts *out)
{
	store_vfs_counts(st->db, out);
}

uint64_t
store_vm_steps(struct store *st)
{
	sqlite3_stmt *s = NULL;
	uint64_t n = 0;

	while ((s = sqlite3_next_stmt(st->db, s)) != NULL)
		n += (uint64_t)sqlite3_stmt_status(
		    s, SQLITE_STMTSTATUS_VM_STEP, 1);
	return n;
}

const char *
store_errmsg(const struct store *st)
{
	return sqlite3_errmsg(st->db);
}

/* The statement cache and helpers for store_*.c
 * --------------------------------------------*/

static size_t
store_cache_slot(const struct store_cached *cache, size_t len, const char *sql)
{
	size_t i = ((uintptr_t)sql >> 3) * 0x9e3779b97f4a7c15ull & (len - 1);

	while (cache[i].sql != NULL && cache[i].sql != sql)
		i = (i + 1) & (len - 1);
	return i;
}

/* Doubles the cache (or creates it). Returns 0 or ERR_ALLOC. */
static int
store_cache_grow(struct store *st)
{
	size_t len = st->cache_len ? st->cache_len * 2 : 64, i, j;
	struct store_cached *cache;

	if ((cache = calloc(len, sizeof(*cache))) == NULL)
		return ERR_ALLOC;
	for (i = 0; i < st->cache_len; i++) {
		if (st->cache[i].sql == NULL)
			continue;
		j = store_cache_slot(cache, len, st->cache[i].sql);
		cache[j] = st->cache[i];
	}
	free(st->cache);
	st->cache = cache;
	st->cache_len = len;
	return 0;
}

sqlite3_stmt *
store_sql(struct store *st, const char *sql)
{
	struct store_cached *c;
	sqlite3_stmt *s;

	if (st->cache_used * 2 >= st->cache_len && store_cache_grow(st) != 0) {
		log_error("store: out of memory for the statement cache");
		return NULL;
	}
	c = &st->cache[store_cache_slot(st->cache, st->cache_len, sql)];
	if (c->sql == NULL) {
		if (sqlite3_prepare_v3(st->db, sql, -1,
			SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
			log_error("store: cannot prepare \"%s\": %s", sql,
			    sqlite3_errmsg(st->db));
			return NULL;
		}
		c->sql = sql;
		c->stmt = s;
		st->cache_used++;
		return s;
	}
	sqlite3_reset(c->stmt);
	sqlite3_clear_bindings(c->stmt);
	return c->stmt;
}

int
store_fail(struct store *st, const char *what)
{
	log_error("store: %s: %s", what, sqlite3_errmsg(st->db));
	return ERR_STORE;
}

int
store_run(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc;

	if (s == NULL)
		return ERR_STORE;
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc == SQLITE_CONSTRAINT_UNIQUE ||
	    rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return ERR_EXISTS;
	return store_fail(st, what);
}

int
store_row(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc;

	if (s == NULL)
		return ERR_STORE;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return 1;
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 0;
	return store_fail(st, what);
}

const char *
store_text(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	return t != NULL ? (const char *)t : "";
}

char *
store_arena_text(struct arena *a, sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	return arena_strdup(a, t ? (const char *)t : "");
}

int64_t
store_last_id(struct store *st)
{
	return sqlite3_last_insert_rowid(st->db);
}

int
store_changes(struct store *st)
{
	return sqlite3_changes(st->db);
}

/* Transactions
 * ---------------------------------------------------------------*/

int
store_begin(struct store *st)
{
	store_snapshot_end(st);
	return store_exec_stmt(st, STMT_BEGIN);
}

/*
 * A read transaction around many reads: in WAL mode each statement run on
 * its own takes and drops the database's shared locks (several fcntl calls),
 * which costs more than a point lookup itself.
 */
int
store_snapshot_begin(struct store *st)
{
	if (st->snapshot || !sqlite3_get_autocommit(st->db))
		return 0;
	if (store_exec_stmt(st, STMT_SNAPSHOT) != 0)
		return ERR_STORE;
	st->snapshot = 1;
	return 1;
}

void
store_snapshot_end(struct store *st)
{
	if (!st->snapshot)
		return;
	st->snapshot = 0;
	if (!sqlite3_get_autocommit(st->db) &&
	    store_exec_stmt(st, STMT_COMMIT) != 0)
		store_exec_stmt(st, STMT_ROLLBACK);
}

int
store_ping(struct store *st)
{
	static const char sql[] = "SELECT max(seq) FROM audit";
	sqlite3_stmt *s = store_sql(st, sql);
	int r;

	if (s == NULL)
		return ERR_STORE;
	r = store_row(st, s, "ping");
	sqlite3_reset(s);
	return r < 0 ? r : 0;
}

int
store_commit(struct store *st)
{
	int r;

	/* On failure the caller rolls back, which undoes the ranks too. */
	if ((r = store_exec_stmt(st, STMT_COMMIT)) == 0)
		store_rank_end(st, 1);
	return r;
}

struct store_units *
store_units(struct store *st)
{
	return &st->units;
}

struct store_ranks *
store_rank_state(struct store *st)
{
	return &st->ranks;
}

int
store_writing(struct store *st)
{
	return !st->snapshot && !sqlite3_get_autocommit(st->db);
}

void
store_rollback(struct store *st)
{
	st->units.valid = 0;
	if (!sqlite3_get_autocommit(st->db))
		store_exec_stmt(st, STMT_ROLLBACK);
	store_rank_end(st, 0);
}

int
store_savepoint(struct store *st)
{
	int r;

	if ((r = store_rank_savepoint(st)) != 0)
		return r;
	if ((r = store_exec_stmt(st, STMT_SAVEPOINT)) != 0)
		store_rank_release(st);
	return r;
}

int
store_release(struct store *st)
{
	int r;

	if ((r = store_exec_stmt(st, STMT_RELEASE)) == 0)
		store_rank_release(st);
	return r;
}

int
store_rollback_to(struct store *st)
{
	int r;

	st->units.valid = 0;
	store_rank_rollback_to(st);
	/* ROLLBACK TO keeps the savepoint open; RELEASE then drops it. */
	if ((r = store_exec_stmt(st, STMT_ROLLBACK_TO)) != 0)
		return r;
	return store_exec_stmt(st, STMT_RELEASE);
}

/* Users
 * ----------------------------------------------------------------------*/

void
store_copy_text(char *dst, size_t dst_len, sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(dst, dst_len, "%s", t ? (const char *)t : "");
}

/* Fills u from a row of STORE_USER_COLUMNS. */
static void
store_row_user(sqlite3_stmt *s, struct store_user *u)
{
	const void *key;

	memset(u, 0, sizeof(*u));
	u->id = sqlite3_column_int64(s, 0);
	store_copy_text(u->name, sizeof(u->name), s, 1);
	u->role = (Tier__Role)sqlite3_column_int(s, 2);
	store_copy_text(u->scope, sizeof(u->scope), s, 3);
	store_copy_text(u->display_name, sizeof(u->display_name), s, 4);
	key = sqlite3_column_blob(s, 5);
	if (key != NULL && sqlite3_column_bytes(s, 5) == KEYS_LEN) {
		memcpy(u->public_key, key, KEYS_LEN);
		u->has_key = 1;
	}
	u->created_at = sqlite3_column_int64(s, 6);
	u->enrolled_at = sqlite3_column_int64(s, 7);
}

/* Steps a single-row user query. */
static int
store_user_one(struct store *st, sqlite3_stmt *s, struct store_user *out)
{
	int rc, r;

	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		store_row_user(s, out);
		r = 0;
	} else if (rc == SQLITE_DONE) {
		r = ERR_NOT_FOUND;
	} else {
		log_error("store: user lookup: %s", sqlite3_errmsg(st->db));
		r = ERR_STORE;
	}
	sqlite3_reset(s);
	return r;
}

int
store_user_by_key(
    struct store *st, const uint8_t pub[KEYS_LEN], struct store_user *out)
{
	sqlite3_stmt *s = store_stmt(st, STMT_USER_BY_KEY);

	sqlite3_bind_blob(s, 1, pub, KEYS_LEN, SQLITE_STATIC);
	return store_user_one(st, s, out);
}

int
store_user_by_name(struct store *st, const char *name, struct store_user *out)
{
	sqlite3_stmt *s = store_stmt(st, STMT_USER_BY_NAME);

	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	return store_user_one(st, s, out);
}

int
store_user_insert(struct store *st, struct store_user *u)
{
	sqlite3_stmt *s = store_stmt(st, STMT_USER_INSERT);
	int rc;

	sqlite3_bind_text(s, 1, u->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, (int)u->role);
	sqlite3_bind_text(s, 3, u->scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, u->display_name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, u->created_at);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return ERR_EXISTS;
	if (rc != SQLITE_DONE) {
		log_error("store: user insert: %s", sqlite3_errmsg(st->db));
		return ERR_STORE;
	}
	u->id = sqlite3_last_insert_rowid(st->db);
	u->has_key = 0;
	u->enrolled_at = 0;
	return 0;
}

int
store_user_list(struct store *st, const char *after, unsigned limit,
    struct store_user **out, size_t *n)
{
	sqlite3_stmt *s = store_stmt(st, STMT_USER_LIST);
	struct store_user *users;
	size_t count = 0;
	int rc;

	if ((users = calloc(limit ? limit : 1, sizeof(*users))) == NULL)
		return ERR_ALLOC;
	sqlite3_bind_text(s, 1, after, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, (int)limit);
	while (count < limit && (rc = sqlite3_step(s)) == SQLITE_ROW)
		store_row_user(s, &users[count++]);
	if (count < limit && rc != SQLITE_DONE) {
		log_error("store: user list: %s", sqlite3_errmsg(st->db));
		sqlite3_reset(s);
		free(users);
		return ERR_STORE;
	}
	sqlite3_reset(s);
	*out = users;
	*n = count;
	return 0;
}

int
store_user_bind_key(
    struct store *st, int64_t user_id, const uint8_t pub[KEYS_LEN], int64_t now)
{
	sqlite3_stmt *s = store_stmt(st, STMT_USER_BIND_KEY);
	int rc;

	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_blob(s, 2, pub, KEYS_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return ERR_EXISTS;
	if (rc != SQLITE_DONE) {
		log_error("store: bind key: %s", sqlite3_errmsg(st->db));
		return ERR_STORE;
	}
	return sqlite3_changes(st->db) == 1 ? 0 : ERR_NOT_FOUND;
}

/* Enrolment codes
 * ------------------------------------------------------------*/

int
store_code_insert(struct store *st, int64_t user_id, const uint8_t hash[32],
    int64_t expires_at, int64_t now)
{
	sqlite3_stmt *s;
	int rc;

	s = store_stmt(st, STMT_CODE_SUPERSEDE);
	sqlite3_bind_int64(s, 1, user_id);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		goto fail;

	s = store_stmt(st, STMT_CODE_INSERT);
	sqlite3_bind_blob(s, 1, hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, user_id);
	sqlite3_bind_int64(s, 3, now);
	sqlite3_bind_int64(s, 4, expires_at);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 0;
fail:
	log_error("store: code insert: %s", sqlite3_errmsg(st->db));
	return ERR_STORE;
}

int
store_code_redeem(struct store *st, const uint8_t hash[32], int64_t now,
    int64_t *user_id, enum store_code_status *status, int64_t *expired_at)
{
	sqlite3_stmt *s = store_stmt(st, STMT_CODE_FIND);
	int64_t uid, expires;
	int rc, used, superseded;

	sqlite3_bind_blob(s, 1, hash, 32, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		*status = STORE_CODE_UNKNOWN;
		return 0;
	}
	if (rc != SQLITE_ROW) {
		log_error("store: code lookup: %s", sqlite3_errmsg(st->db));
		sqlite3_reset(s);
		return ERR_STORE;
	}
	uid = sqlite3_column_int64(s, 0);
	expires = sqlite3_column_int64(s, 1);
	used = sqlite3_column_type(s, 2) != SQLITE_NULL;
	superseded = sqlite3_column_int(s, 3);
	sqlite3_reset(s);

	if (used)
		*status = STORE_CODE_USED;
	else if (superseded)
		*status = STORE_CODE_UNKNOWN;
	else if (expires <= now) {
		*status = STORE_CODE_EXPIRED;
		*expired_at = expires;
	} else {
		s = store_stmt(st, STMT_CODE_USE);
		sqlite3_bind_blob(s, 1, hash, 32, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, now);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE || sqlite3_changes(st->db) != 1) {
			log_error(
			    "store: code use: %s", sqlite3_errmsg(st->db));
			return ERR_STORE;
		}
		*status = STORE_CODE_OK;
		*user_id = uid;
	}
	return 0;
}

int
store_user_get(struct store *st, int64_t id, struct store_user *out)
{
	sqlite3_stmt *s = store_stmt(st, STMT_USER_BY_ID);

	sqlite3_bind_int64(s, 1, id);
	return store_user_one(st, s, out);
}
