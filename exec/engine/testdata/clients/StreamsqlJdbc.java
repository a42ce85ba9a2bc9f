import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.postgresql.PGStatement;

/**
 * Drives streamsql through the PostgreSQL JDBC driver: DDL, INSERTs and a
 * query with parameters (past prepareThreshold, so the driver moves to a
 * named server-side statement and binary results), a query read with a
 * fetch size (row limits and PortalSuspended), a continuous query through
 * DECLARE ... CURSOR FOR SUBSCRIBE and FETCH, and errors. It prints lines
 * that exec/engine/clients_jdbc_test.go compares with what it expects; it
 * is run with -Duser.timezone=UTC.
 *
 * Usage: java -cp .:postgresql.jar StreamsqlJdbc jdbc:postgresql://host:port/db?...
 */
public class StreamsqlJdbc {
    static final LocalDateTime BASE = LocalDateTime.of(2026, 11, 25, 12, 0, 0);

    static Timestamp at(int seconds) {
        return Timestamp.valueOf(BASE.plusSeconds(seconds));
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        try (Connection conn = DriverManager.getConnection(url);
             Connection other = DriverManager.getConnection(url)) {
            ddl(conn);
            inserts(conn);
            query(conn);
            fetchSize(conn);
            subscribe(conn, other);
            errors(conn);
        }
        System.out.println("done");
    }

    static void ddl(Connection conn) throws SQLException {
        try (Statement st = conn.createStatement()) {
            boolean rs = st.execute("CREATE TABLE bids (auction BIGINT, bidder INT, price DECIMAL(10,2), ok BOOLEAN, "
                    + "note VARCHAR, score DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)");
            System.out.println("create table: result set " + rs + ", update count " + st.getUpdateCount());
            rs = st.execute("CREATE MATERIALIZED VIEW per_auction AS SELECT auction, TUMBLE_START(ts, INTERVAL '10' SECOND) AS w, "
                    + "COUNT(*) AS n, MAX(price) AS top FROM bids GROUP BY auction, TUMBLE(ts, INTERVAL '10' SECOND)");
            System.out.println("create view: result set " + rs + ", update count " + st.getUpdateCount());
        }
    }

    static void inserts(Connection conn) throws SQLException {
        int total = 0;
        try (PreparedStatement ps = conn.prepareStatement("INSERT INTO bids VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            for (int i = 0; i < 20; i++) {
                ps.setLong(1, 1000 + i % 3);
                ps.setInt(2, i);
                ps.setBigDecimal(3, new BigDecimal(String.format("%d.%02d", 10 + i, i)));
                ps.setBoolean(4, i % 2 == 0);
                ps.setString(5, "bid 'quoted' " + i);
                ps.setDouble(6, i / 4.0);
                ps.setTimestamp(7, at(i));
                total += ps.executeUpdate();
            }
            // Every parameter but the event time NULL.
            ps.setLong(1, 1003);
            ps.setNull(2, Types.INTEGER);
            ps.setNull(3, Types.DECIMAL);
            ps.setNull(4, Types.BOOLEAN);
            ps.setNull(5, Types.VARCHAR);
            ps.setNull(6, Types.DOUBLE);
            ps.setTimestamp(7, at(19));
            total += ps.executeUpdate();
        }
        System.out.println("inserted " + total);
    }

    static String row(ResultSet rs) throws SQLException {
        int bidder = rs.getInt("bidder");
        BigDecimal price = rs.getBigDecimal("price");
        boolean ok = rs.getBoolean("ok");
        String note = rs.getString("note");
        double score = rs.getDouble("score");
        Timestamp ts = rs.getTimestamp("ts");
        long auction = rs.getLong("auction");
        return auction + " " + bidder + " " + price + " " + ok + " " + note + " " + score + " " + ts;
    }

    static void query(Connection conn) throws SQLException {
        String sql = "SELECT auction, bidder, price, ok, note, score, ts FROM bids "
                + "WHERE auction = ? AND ts >= ? AND note LIKE ? AND ok = ? AND price > ? AND score >= ? ORDER BY bidder";
        List<String> first = null;
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            PGStatement pg = ps.unwrap(PGStatement.class);
            boolean before = pg.isUseServerPrepare();
            // prepareThreshold is 5: from the 5th run on the driver uses a
            // named statement it parsed once, and binary results.
            for (int run = 1; run <= 8; run++) {
                ps.setLong(1, 1001);
                ps.setTimestamp(2, at(5));
                ps.setString(3, "bid%");
                ps.setBoolean(4, false);
                ps.setBigDecimal(5, new BigDecimal("15.5"));
                ps.setDouble(6, 0.25);
                List<String> got = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        got.add(row(rs));
                    }
                }
                if (first == null) {
                    first = got;
                    System.out.println("query with parameters:");
                    for (String r : got) {
                        System.out.println("  " + r);
                    }
                } else if (!got.equals(first)) {
                    System.out.println("run " + run + " differs: " + got);
                }
            }
            System.out.println("server prepared: before " + before + ", after " + pg.isUseServerPrepare());
        }
        // NULLs read back, and a view read with parameters.
        try (PreparedStatement ps = conn.prepareStatement("SELECT bidder, price, ok, note, score FROM bids WHERE auction = ?")) {
            ps.setInt(1, 1003);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int bidder = rs.getInt(1);
                    boolean bidderNull = rs.wasNull();
                    System.out.println("nulls: " + bidder + " " + bidderNull + " " + rs.getBigDecimal(2) + " " + rs.getObject(3)
                            + " " + rs.getString(4) + " " + rs.getObject(5));
                }
            }
        }
        try (PreparedStatement ps = conn.prepareStatement("SELECT n, top FROM per_auction WHERE auction = ? AND w = ?")) {
            ps.setLong(1, 1000);
            ps.setTimestamp(2, at(0));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    System.out.println("view: n=" + rs.getLong("n") + " top=" + rs.getBigDecimal("top"));
                }
            }
        }
    }

    static void fetchSize(Connection conn) throws SQLException {
        // With autocommit off and a fetch size the driver binds a named
        // portal and executes it 3 rows at a time.
        conn.setAutoCommit(false);
        List<String> got = new ArrayList<>();
        try (PreparedStatement ps = conn.prepareStatement("SELECT auction, bidder, price, ok, note, score, ts FROM bids WHERE bidder < ? ORDER BY bidder")) {
            ps.setFetchSize(3);
            ps.setInt(1, 8);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    got.add(row(rs));
                }
            }
        }
        conn.commit();
        conn.setAutoCommit(true);
        System.out.println("fetch size 3: " + got.size() + " rows");
        for (String r : got) {
            System.out.println("  " + r);
        }
    }

    static String change(ResultSet rs) throws SQLException {
        return String.format("%+d %d %s n=%d top=%s", rs.getLong("mz_diff"), rs.getLong("auction"), rs.getTimestamp("w"),
                rs.getLong("n"), rs.getBigDecimal("top"));
    }

    // fetch runs FETCH and returns its rows; it checks that mz_timestamp
    // never goes back.
    static long lastTimestamp = Long.MIN_VALUE;
    static boolean timestampsOrdered = true;

    static List<String> fetch(Statement st, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (ResultSet rs = st.executeQuery(sql)) {
            ResultSetMetaData md = rs.getMetaData();
            if (lastTimestamp == Long.MIN_VALUE) {
                StringBuilder cols = new StringBuilder("columns:");
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    cols.append(' ').append(md.getColumnName(i)).append(' ').append(md.getColumnTypeName(i));
                }
                System.out.println(cols);
            }
            while (rs.next()) {
                long ts = rs.getLong("mz_timestamp");
                if (ts < lastTimestamp) {
                    timestampsOrdered = false;
                }
                lastTimestamp = ts;
                out.add(change(rs));
            }
        }
        return out;
    }

    static void subscribe(Connection conn, Connection other) throws SQLException {
        conn.setAutoCommit(false);
        try (Statement st = conn.createStatement()) {
            st.execute("DECLARE c CURSOR FOR SUBSCRIBE per_auction");
            List<String> snap = fetch(st, "FETCH ALL c WITH (timeout = '1 second')");
            Collections.sort(snap);
            System.out.println("snapshot: " + snap.size() + " rows");
            for (String r : snap) {
                System.out.println("  " + r);
            }
            // A bid inside the open window, from another connection.
            try (PreparedStatement ps = other.prepareStatement("INSERT INTO bids VALUES (?, 1, ?, true, 'late', 0, ?)")) {
                ps.setLong(1, 1000);
                ps.setBigDecimal(2, new BigDecimal("99.50"));
                ps.setTimestamp(3, at(19));
                System.out.println("insert on other connection: " + ps.executeUpdate());
            }
            List<String> changes = fetch(st, "FETCH ALL c WITH (timeout = '1 second')");
            System.out.println("changes: " + changes.size() + " rows");
            for (String r : changes) {
                System.out.println("  " + r);
            }
            // Nothing more: the bounded wait returns no rows.
            List<String> none = fetch(st, "FETCH ALL c WITH (timeout = '100 milliseconds')");
            System.out.println("after timeout: " + none.size() + " rows");
            System.out.println("mz_timestamp non-decreasing: " + timestampsOrdered);
            st.execute("CLOSE c");
        }
        conn.commit();
        conn.setAutoCommit(true);
    }

    static void errors(Connection conn) throws SQLException {
        try (Statement st = conn.createStatement()) {
            for (String sql : new String[] {"SELEC 1", "SELECT * FROM nope"}) {
                try {
                    st.executeQuery(sql);
                    System.out.println(sql + ": no error");
                } catch (SQLException e) {
                    System.out.println(sql + ": SQLSTATE " + e.getSQLState());
                }
            }
        }
        try (PreparedStatement ps = conn.prepareStatement("SELECT COUNT(*) FROM bids WHERE auction = ?")) {
            ps.setLong(1, 1000);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                System.out.println("after errors: count " + rs.getLong(1));
            }
        }
    }
}
