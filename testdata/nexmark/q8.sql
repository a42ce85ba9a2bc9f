-- Q8 (monitor new users): the persons who joined and opened an auction in
-- the same 10-second window. A window join of two window aggregates, on
-- the window and the person.
-- Flink's query; dialect changes: CREATE MATERIALIZED VIEW q8 AS in place
-- of INSERT INTO a sink; TUMBLE(TABLE person, DESCRIPTOR(dateTime), ...)
-- ... GROUP BY id, name, window_start, window_end is our GROUP BY id, name,
-- TUMBLE(date_time, ...). Flink runs it as a window join, whose rows are
-- final when both windows close and whose state is then dropped; until
-- window joins exist here (with EMIT ON WINDOW CLOSE), it is a regular join
-- of two updating window aggregates, which ends as Flink ends a bounded run.
CREATE MATERIALIZED VIEW q8 AS
  SELECT P.id, P.name, P.starttime
  FROM (
    SELECT id, name, window_start AS starttime, window_end AS endtime
    FROM person
    GROUP BY id, name, TUMBLE(date_time, INTERVAL '10' SECOND)
  ) P
  JOIN (
    SELECT seller, window_start AS starttime, window_end AS endtime
    FROM auction
    GROUP BY seller, TUMBLE(date_time, INTERVAL '10' SECOND)
  ) A
  ON P.id = A.seller AND P.starttime = A.starttime AND P.endtime = A.endtime
