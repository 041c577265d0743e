# MLflow's own image, at the version the course's lock pins, with what the team stack needs:
# the PostgreSQL driver, boto3 for the S3 artifact store, and Flask-WTF for the basic-auth app.
FROM ghcr.io/mlflow/mlflow:v3.17.2
RUN pip install --no-cache-dir psycopg2-binary==2.9.13 boto3==1.44.8 flask-wtf==1.3.0
