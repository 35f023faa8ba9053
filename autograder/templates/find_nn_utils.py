_ASSIGNMENT, _COLAB_FILES, _COLAB_DRIVE = "assignment", "/content", "/content/drive/MyDrive"
# Finds the kit's nn_utils: beside this notebook (Jupyter, VS Code, the grader), or on
# Google Colab in the folder you uploaded, either to the Files pane or to your Google Drive.
import glob, importlib.util, os, sys

def _assignment_folder(roots):
    for root in roots:
        for depth in range(4):
            pattern = os.path.join(root, *["*"] * depth, _ASSIGNMENT, "nn_utils", "__init__.py")
            for found in sorted(glob.glob(pattern)):
                return os.path.dirname(os.path.dirname(found))
    return None

if importlib.util.find_spec("nn_utils") is None and ("google.colab" in sys.modules
                                                     or "COLAB_RELEASE_TAG" in os.environ):
    _folder = _assignment_folder([_COLAB_FILES])
    if _folder is None:
        from google.colab import drive
        drive.mount(os.path.dirname(_COLAB_DRIVE))
        _folder = _assignment_folder([_COLAB_DRIVE])
    if _folder is not None:
        os.chdir(_folder)  # the notebook's files (data, figures) are read and saved here
        sys.path.insert(0, _folder)
        print(f"Working in {_folder}: nn_utils found there.")
if importlib.util.find_spec("nn_utils") is None:
    raise ModuleNotFoundError(
        f"nn_utils was not found. It comes in the {_ASSIGNMENT} folder of the zip you downloaded "
        "and must sit beside this notebook.\n"
        "* Jupyter or VS Code: unzip the download and open the notebook inside the "
        f"{_ASSIGNMENT} folder.\n"
        f"* Google Colab: upload the whole {_ASSIGNMENT} folder to your Google Drive (anywhere "
        f"in My Drive, up to three folders deep) or to the Files pane, then run this cell again.")
