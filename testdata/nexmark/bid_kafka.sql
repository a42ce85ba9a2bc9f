-- bid.sql's stream read from a Kafka topic of JSON records, for
-- `streamsql bench`'s kafkakeys and kafkakeysupd: the bench runs a broker
-- (`streamsql dev-kafka`) in a process of its own, produces the
-- generator's bids into a topic of 4 partitions and sets brokers and topic
-- here. The columns are bid.sql's without p_time.
CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
                   date_time TIMESTAMP(3), extra VARCHAR,
                   WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
  WITH (connector = 'kafka', brokers = '127.0.0.1:9092', topic = 'bid', format = 'json')
