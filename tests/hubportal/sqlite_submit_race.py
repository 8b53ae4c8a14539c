"""Run by test_sqlite_concurrency in a fresh process: the embedded SQLite default, several threads submitting.

Prints one JSON line: the journal mode, how many submits succeeded, the references given, and every
error by its type and message. Not a test module itself (pytest does not collect it).
"""

import json
import sys
import threading


def main(threads, per_thread):
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    from intake import services
    from tests.factories import DraftFactory, HubFactory, UserFactory

    call_command("migrate", verbosity=0)
    hub = HubFactory()
    people = [UserFactory() for _ in range(threads)]
    drafts = {person.pk: [DraftFactory(submitter=person, hub=hub) for _ in range(per_thread)] for person in people}
    with connection.cursor() as cursor:
        journal_mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
    connections.close_all()

    start = threading.Barrier(threads)
    references, errors, lock = [], [], threading.Lock()

    def submit_all(person):
        start.wait()
        try:
            for draft in drafts[person.pk]:
                try:
                    inquiry = services.inquiry_submit(inquiry=draft, by=person)
                    with lock:
                        references.append(inquiry.reference)
                except Exception as error:  # noqa: BLE001 - every failure is the finding
                    with lock:
                        errors.append(f"{type(error).__name__}: {error}")
        finally:
            connections.close_all()

    workers = [threading.Thread(target=submit_all, args=(person,)) for person in people]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(json.dumps({"journal_mode": journal_mode, "references": references, "errors": errors}))


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
