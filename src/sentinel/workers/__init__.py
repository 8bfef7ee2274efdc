"""Worker mode: patrols as procrastinate jobs in PostgreSQL, run by `sentinel worker` processes.

queue.py     the queue: the patrol task, its jobs and their locks
worker.py    `sentinel worker`: one process running patrol jobs
live.py      a worker's configuration, reloaded when its files change, and its Patrol
enqueue.py   the scheduler's side: enqueue due sources, put back stalled jobs, wait for a patrol
status.py    what the operator sees: workers alive, what each runs, the queue
tally.py     what the workers patrolled, counted by the leading scheduler for its tick
"""
