FROM base
ONBUILD RUN echo triggered > /onbuild.txt
