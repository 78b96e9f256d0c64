"""What several test modules share: Kafka topics, waiting on a condition, the streaming job as a
child process, parsed micro-batches, the run's Spark session. Test modules import from here,
never from each other."""
