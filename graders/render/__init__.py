"""Results as people read them: the notebook report, the LMS exports, the class report and the
similarity report. Renderers read results and gradebooks; they score nothing."""
